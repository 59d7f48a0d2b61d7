/**
 * Stand-in for `@aws-sdk/endpoint-cache` in the Lambda bundle only, swapped
 * in by the esbuild alias in infra/lambda-bundling.ts. The DynamoDB client
 * always builds an endpoint-discovery cache, which pulls in `mnemonist` and
 * `obliterator` (about 7 KB minified); but endpoint discovery is off by
 * default and none of the store's commands (BatchGetItem, UpdateItem) uses
 * it, so a cache that never holds anything behaves the same.
 */

/** One discovered endpoint, as the real module types it. */
interface EndpointWithExpiry {
  /** The endpoint's address. */
  readonly Address: string;
  /** Epoch ms after which it is not used. */
  readonly Expires: number;
}

/** Same shape as the real `EndpointCache`; remembers nothing. */
export class EndpointCache {
  /** No endpoint is ever cached. */
  getEndpoint(_key: string): string | undefined {
    return undefined;
  }
  /** No endpoint is ever cached. */
  get(_key: string): EndpointWithExpiry[] | undefined {
    return undefined;
  }
  /** Discarded: discovery is not used by the broker's commands. */
  set(_key: string, _endpoints: unknown): void {}
  /** Nothing to delete. */
  delete(_key: string): void {}
  /** Never holds a key. */
  has(_key: string): boolean {
    return false;
  }
  /** Nothing to clear. */
  clear(): void {}
}
