package dev.registry.storage.driver.s3;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * {@code storage.s3.loglevel} other than {@code off}: one log line per S3 operation, with its
 * outcome and duration, through the {@code dev.registry.storage.driver.s3.requests} logger. Bodies and
 * signatures are never logged.
 */
final class S3RequestLog implements ExecutionInterceptor {
    private static final Logger log = LoggerFactory.getLogger("dev.registry.storage.driver.s3.requests");
    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("registry.s3.started");

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        log.info("s3 {} {} -> {} in {} ms", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
                context.httpRequest().encodedPath(), context.httpResponse().statusCode(), millis(attributes));
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        log.info("s3 {} failed in {} ms: {}", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
                millis(attributes), context.exception().toString());
    }

    private static long millis(ExecutionAttributes attributes) {
        Long started = attributes.getAttribute(STARTED);
        return started == null ? -1 : (System.nanoTime() - started) / 1_000_000;
    }
}
