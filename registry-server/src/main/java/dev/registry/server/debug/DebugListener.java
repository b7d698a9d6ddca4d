package dev.registry.server.debug;

import dev.registry.config.ConfigException;
import dev.registry.config.DebugConfig;
import dev.registry.server.metrics.RegistryMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The second listener of {@code http.debug.addr}: plain HTTP, no authentication, serving
 * {@link DebugEndpoints}. It shares the API's event loops (it carries little traffic) and stays
 * up while the API drains, so probes see the shutdown.
 */
public final class DebugListener implements AutoCloseable {
    private final Channel channel;

    private DebugListener(Channel channel) {
        this.channel = channel;
    }

    /**
     * Binds {@code http.debug.addr}, or fails with a {@link ConfigException} naming it.
     *
     * @param metrics what to serve at {@code http.debug.prometheus.path}, or {@code null} when that is off
     */
    public static DebugListener start(DebugConfig config, EventLoopGroup boss, EventLoopGroup workers,
                                      Class<? extends ServerChannel> channelType, RegistryMetrics metrics,
                                      HealthChecks health, BooleanSupplier draining, Executor requestThreads) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast("codec", new HttpServerCodec(4096, 8192, 8192))
                                // requests here have no body worth keeping; anything bigger is refused with 413
                                .addLast("aggregator", new HttpObjectAggregator(8192))
                                .addLast("debug", new DebugEndpoints(metrics, config.prometheus().path(), health,
                                        draining, requestThreads));
                    }
                });
        InetSocketAddress address = config.bindHost().isEmpty()
                ? new InetSocketAddress(config.port())
                : new InetSocketAddress(config.bindHost(), config.port());
        try {
            return new DebugListener(bootstrap.bind(address).sync().channel());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            boolean inUse = e instanceof BindException || e.getCause() instanceof BindException
                    || String.valueOf(e.getMessage()).contains("Address already in use");
            throw new ConfigException("http.debug.addr (REGISTRY_HTTP_DEBUG_ADDR): " + address.getHostString() + ":"
                    + config.port() + (inUse ? " is already in use: stop the other server or choose another port."
                    : " cannot be listened on (" + e.getMessage() + "): choose an address of this machine and a free port."));
        }
    }

    /** The port actually bound (useful with port 0 in tests). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
