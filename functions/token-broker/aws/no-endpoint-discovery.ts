/**
 * Stands in for `@aws-sdk/middleware-endpoint-discovery` in the Lambda
 * bundle (an esbuild alias, infra/lambda-bundling.ts). The DynamoDB client
 * always resolves endpoint-discovery settings, but only commands that
 * declare discovery add its middleware, and the store's two commands
 * (BatchGetItem, UpdateItem) do not; so resolving nothing behaves the same.
 * Saves ~0.8 KB.
 */

/** Leaves the client's configuration as given: no discovery cache, no discovery. */
export const resolveEndpointDiscoveryConfig = <T extends object>(input: T): T => input;

/** The settings loader's selectors: discovery is never configured. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (): undefined => undefined,
  configFileSelector: (): undefined => undefined,
  default: undefined,
};
