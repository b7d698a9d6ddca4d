package dev.registry.server.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Sits after the {@code SslHandler} until the handshake is done, then installs the HTTP/2 or the
 * HTTP/1.1 pipeline according to the ALPN result, and removes itself. Clients that do not use
 * ALPN (old curl, {@code openssl s_client}) get HTTP/1.1.
 */
public final class HttpProtocolNegotiationHandler extends ApplicationProtocolNegotiationHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpProtocolNegotiationHandler.class);

    private final Consumer<ChannelPipeline> http1;
    private final Consumer<ChannelPipeline> http2Stream;

    /**
     * @param http1 adds the HTTP/1.1 handlers (codec, chunked writer, request handler) to the
     *              connection's pipeline
     * @param http2Stream adds the request handlers to each HTTP/2 stream's pipeline, see
     *                    {@link Http2Support#configure}
     */
    public HttpProtocolNegotiationHandler(Consumer<ChannelPipeline> http1, Consumer<ChannelPipeline> http2Stream) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.http1 = http1;
        this.http2Stream = http2Stream;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            Http2Support.configure(ctx.pipeline(), http2Stream);
        } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
            http1.accept(ctx.pipeline());
        } else {
            throw new IllegalStateException("client negotiated unsupported protocol " + protocol);
        }
    }

    /**
     * Handshake failures are routine (a client that does not trust the CA yet, port scanners, plain
     * HTTP sent to the TLS port), so they are logged briefly at debug instead of Netty's warning
     * with a stack trace.
     */
    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), describe(cause));
        }
        ctx.close();
    }

    /**
     * The failure and its innermost cause: BoringSSL reports a refused client certificate as a
     * "General OpenSslEngine problem" whose cause says why (an unknown CA, an expired certificate).
     */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == cause ? cause.toString() : cause + " (" + root + ")";
    }
}
