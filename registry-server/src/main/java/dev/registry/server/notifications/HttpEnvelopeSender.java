package dev.registry.server.notifications;

import dev.registry.config.ConfigException;
import dev.registry.config.NotificationEndpointConfig;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Map;

/**
 * POSTs envelopes with the JDK's HTTP client. As in registry:2, any 2xx or 3xx answer means the
 * endpoint took the events (redirects are not followed), and anything else, a timeout included,
 * is a failure to retry.
 */
final class HttpEnvelopeSender implements EnvelopeSender {
    private final NotificationEndpointConfig endpoint;
    private final HttpClient client;

    HttpEnvelopeSender(NotificationEndpointConfig endpoint) {
        this.endpoint = endpoint;
        // Checked now: the JDK refuses some headers (Host, Connection, Content-Length, ...) itself.
        request(new byte[0]);
        this.client = HttpClient.newBuilder()
                .connectTimeout(endpoint.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private HttpRequest request(byte[] envelope) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.url())
                .timeout(endpoint.timeout())
                .header("Content-Type", EventJson.ENVELOPE_MEDIA_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelope));
        for (Map.Entry<String, List<String>> header : endpoint.headers().entrySet()) {
            for (String value : header.getValue()) {
                try {
                    request.header(header.getKey(), value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("notifications.endpoints (REGISTRY_NOTIFICATIONS_ENDPOINTS) endpoint '"
                            + endpoint.name() + "' sets the header " + header.getKey()
                            + ", which the HTTP client sets itself: remove it.");
                }
            }
        }
        return request.build();
    }

    @Override
    public void send(byte[] envelope) throws IOException, InterruptedException {
        HttpResponse<Void> response;
        try {
            response = client.send(request(envelope), HttpResponse.BodyHandlers.discarding());
        } catch (HttpTimeoutException e) {
            throw new IOException("no answer within " + endpoint.timeout().toMillis() + " ms", e);
        }
        int status = response.statusCode();
        if (status < 200 || status >= 400) {
            throw new IOException("answered HTTP " + status);
        }
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
