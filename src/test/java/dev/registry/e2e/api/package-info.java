/**
 * Black-box HTTP conformance tests for the registry API (OCI distribution-spec v1.1 and the Docker
 * Registry HTTP API v2), driving the packaged server over plain HTTP.
 *
 * <p>Each test class starts its own registry ({@link dev.registry.e2e.api.TestRegistry}) on a fresh
 * storage directory; each test works in repositories of its own. System properties:
 * <ul>
 *   <li>{@code registry.jar}: the server jar to run (default: the module build's);</li>
 *   <li>{@code registry.url=http://127.0.0.1:PORT}: run against an already-running registry instead
 *       (restart and configuration tests are skipped, nothing is planted on disk);</li>
 *   <li>{@code registry.impl=docker-registry}: run CNCF Distribution's {@code docker-registry} from
 *       {@code PATH} with the same configuration, to check the tests against the reference
 *       (it has no referrers API and predates several spec rules, so some tests fail there by design).</li>
 * </ul>
 * For example: {@code ./mvnw -B -pl src/test test -Dtest='dev.registry.e2e.api.*Test'}.
 */
package dev.registry.e2e.api;
