package dev.registry.config;

/**
 * A configuration that cannot be used. The message is one sentence that names the setting
 * (YAML key and environment variable) and says how to fix it; it is printed as is at startup.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
