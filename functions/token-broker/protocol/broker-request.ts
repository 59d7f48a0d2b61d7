/**
 * One request as the protocol middlewares hand it to the handler: each
 * middleware fills in what it is for, and the event mapping replaces the
 * raw event with it, as middy's own parsers replace what they parse.
 */
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { DeviceKey } from '../contract.ts';
import type { EventKind, HttpRequest } from '../event-mapping.ts';
import type { CallerIdentity } from '../grants/grant-source.ts';
import type { GrantsForRequest } from '../request.ts';
import type { Grants } from '../scope.ts';
import { type BrokerStats, emptyStats } from '../token-source.ts';

/** What a request asks for. */
export const ROUTES = {
  /** `POST /tokens`, or a direct invocation with devices. */
  tokens: 'tokens',
  /** `GET /tokens/devices`, or a direct invocation with `grantsFor`. */
  devices: 'devices',
} as const;

/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** One request, as the middlewares understood it. */
export interface BrokerRequest {
  readonly kind: EventKind;
  readonly requestId: string;
  /** Epoch ms the request arrived. */
  readonly started: number;
  readonly route: Route;
  /** The HTTP request; undefined for a direct invocation. */
  readonly http: HttpRequest | undefined;
  /** A direct invocation's event, or the HTTP body once parsed. */
  payload: unknown;
  /** The devices asked for, validated and free of duplicates. */
  devices: readonly DeviceKey[];
  /** Whether the caller asks for fresh logins. */
  refresh: boolean;
  /** The user a direct invoker lists the grants of. */
  onBehalf?: GrantsForRequest;
  /** Who asks; set by the identity middleware. */
  identity?: CallerIdentity;
  /** The caller's grants, being looked up; set by the grants middleware. */
  grants?: Promise<Grants>;
  /**
   * Settles once every device asked for is known to be granted: resolves,
   * or rejects with the 403 or 503. Nothing is served or logged in before.
   */
  authorized?: Promise<void>;
  /** This request's counters, for its log line. */
  readonly stats: BrokerStats;
}

// The requests the event mapping made, so that no event can pass for one.
const made = new WeakSet<object>();

/** What a new request is made of; the rest starts empty. */
export type RequestStart = Pick<
  BrokerRequest,
  'kind' | 'requestId' | 'started' | 'route' | 'http' | 'payload'
>;

/** A new request, marked as the event mapping's. */
export function newRequest(start: RequestStart): BrokerRequest {
  const request: BrokerRequest = { ...start, devices: [], refresh: false, stats: emptyStats() };
  made.add(request);
  return request;
}

/** The event as a {@link BrokerRequest}, once the event mapping has replaced it. */
export const brokerRequestOf = (event: unknown): BrokerRequest | undefined =>
  typeof event === 'object' && event !== null && made.has(event)
    ? (event as BrokerRequest)
    : undefined;

/** A middleware of the protocol: middy's shape, over the handler's event and context. */
export type ProtocolMiddleware = middy.MiddlewareObj<unknown, unknown, Error, Context>;

/** The request of a middleware that runs after the event mapping. */
export const mapped = (request: { readonly event: unknown }): BrokerRequest =>
  request.event as BrokerRequest;
