package dev.registry.auth;

import java.util.List;

/** No authentication configured: every caller is anonymous and may do everything, as with {@code registry:2}. */
public final class OpenAccessController implements AccessController {
    @Override
    public Principal authorize(String authorization, List<Access> required) {
        return Principal.ANONYMOUS;
    }
}
