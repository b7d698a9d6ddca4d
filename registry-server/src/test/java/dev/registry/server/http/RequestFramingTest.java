package dev.registry.server.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestFramingTest {

    @Test
    void absoluteFormLosesSchemeAndAuthority() {
        assertEquals("/v2/", RequestFraming.originForm("http://registry.example:5000/v2/"));
        assertEquals("/v2/a/tags/list?n=1", RequestFraming.originForm("HTTPS://r:1/v2/a/tags/list?n=1"));
        assertEquals("/", RequestFraming.originForm("http://r:5000"));
        assertEquals("/?n=1", RequestFraming.originForm("http://r:5000?n=1"));
        assertEquals("r:5000", RequestFraming.authority("http://r:5000?n=1"));
        assertEquals("[::1]:5000", RequestFraming.authority("http://[::1]:5000/v2/"));
    }

    @Test
    void otherFormsStayAsSent() {
        assertEquals("/v2/", RequestFraming.originForm("/v2/"));
        assertEquals("*", RequestFraming.originForm("*"));
        assertEquals("ftp://x/v2/", RequestFraming.originForm("ftp://x/v2/"));
        assertNull(RequestFraming.authority("/v2/"));
        assertNull(RequestFraming.authority("*"));
    }

    @Test
    void hostAndVersionRules() {
        assertNull(RequestFraming.refusal(request(HttpVersion.HTTP_1_1, "Host", "a")));
        assertNull(RequestFraming.refusal(request(HttpVersion.HTTP_1_0)));
        assertEquals(HttpResponseStatus.BAD_REQUEST, RequestFraming.refusal(request(HttpVersion.HTTP_1_1)));
        assertEquals(HttpResponseStatus.BAD_REQUEST, RequestFraming.refusal(request(HttpVersion.HTTP_1_0, "Host", "a", "Host", "b")));
        assertEquals(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                RequestFraming.refusal(request(HttpVersion.valueOf("HTTP/2.0"), "Host", "a")));
        assertEquals(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                RequestFraming.refusal(request(HttpVersion.valueOf("HTTP/9.9"), "Host", "a")));
    }

    @Test
    void contentLengthWithTransferEncodingIsAmbiguous() {
        assertTrue(RequestFraming.ambiguousLength(request(HttpVersion.HTTP_1_1, "Content-Length", "3",
                "Transfer-Encoding", "chunked")));
        assertFalse(RequestFraming.ambiguousLength(request(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked")));
    }

    private static HttpRequest request(HttpVersion version, String... headers) {
        HttpRequest request = new DefaultHttpRequest(version, HttpMethod.GET, "/v2/");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }
}
