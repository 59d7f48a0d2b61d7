/**
 * The broker's HTTP API: `POST /tokens` and `GET /tokens/devices` (the
 * caller's effective grants), both behind the JWT authorizer and on the
 * `live` alias, a throttled `$default` stage and JSON access logs that carry
 * no header and no body.
 */
import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpJwtAuthorizer,
  HttpUserPoolAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEVICES_PATH, TOKENS_PATH } from '../functions/token-broker/contract.ts';
import type { BrokerUserPool } from './user-pool.ts';

/** Who may call: a given issuer and audiences, or the created pool. */
export type CallerIdentity =
  | { readonly issuer: string; readonly audience: readonly string[] }
  | { readonly pool: BrokerUserPool };

/** The authorizer of the route. */
export function createAuthorizer(identity: CallerIdentity): IHttpRouteAuthorizer {
  if ('pool' in identity) {
    // The ID token carries custom attributes and has `aud` = client id, so
    // the default authorizer (audience = client id) and the claim match.
    return new HttpUserPoolAuthorizer('JwtAuthorizer', identity.pool.userPool, {
      userPoolClients: [identity.pool.client],
    });
  }
  return new HttpJwtAuthorizer('JwtAuthorizer', identity.issuer, {
    jwtAudience: [...identity.audience],
  });
}

/** Options of {@link createBrokerApi}. */
export interface BrokerApiOptions {
  /** The function behind the route. */
  readonly function: IFunction;
  /** The route's authorizer. */
  readonly authorizer: IHttpRouteAuthorizer;
  /** Exact origins CORS allows; none means no preflight. */
  readonly corsOrigins: readonly string[];
  /** Steady-state requests per second of the stage. */
  readonly rateLimit: number;
  /** Burst limit of the stage. */
  readonly burstLimit: number;
  /** Retention of the access logs. */
  readonly retention: RetentionDays;
}

/** The API, its stage and its access log group. */
export interface BrokerApi {
  /** The HTTP API. */
  readonly api: HttpApi;
  /** The `$default` stage. */
  readonly stage: HttpStage;
  /** The stage's access logs. */
  readonly accessLogGroup: LogGroup;
}

/** Creates the API in `scope` (the broker, so logical ids are unchanged). */
export function createBrokerApi(scope: Construct, o: BrokerApiOptions): BrokerApi {
  const api = new HttpApi(scope, 'Api', {
    description: `visual-token-broker: POST ${TOKENS_PATH}, GET ${DEVICES_PATH}`,
    createDefaultStage: false,
    corsPreflight:
      o.corsOrigins.length === 0
        ? undefined
        : {
            allowOrigins: [...o.corsOrigins],
            // GET for a frontend's camera list, POST for its tokens.
            allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
            allowHeaders: ['Authorization', 'Content-Type'],
            // As the local server's preflight (functions/token-broker/cors.ts).
            maxAge: Duration.seconds(600),
          },
  });
  // One integration for both routes: the same alias, and the logical ids of
  // the POST route's integration and permission stay those of earlier releases.
  const integration = new HttpLambdaIntegration('Integration', o.function);
  api.addRoutes({
    path: TOKENS_PATH,
    methods: [HttpMethod.POST],
    integration,
    authorizer: o.authorizer,
  });
  // Always: without a grants directory it answers from the claim alone.
  api.addRoutes({
    path: DEVICES_PATH,
    methods: [HttpMethod.GET],
    integration,
    authorizer: o.authorizer,
  });
  const accessLogGroup = new LogGroup(scope, 'AccessLogs', { retention: o.retention });
  const stage = new HttpStage(scope, 'Stage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: o.rateLimit, burstLimit: o.burstLimit },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogGroup),
      // No headers, no body: nothing secret can land in access logs.
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          time: '$context.requestTime',
          ip: '$context.identity.sourceIp',
          method: '$context.httpMethod',
          route: '$context.routeKey',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
          integrationLatencyMs: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
          sub: '$context.authorizer.claims.sub',
          responseLength: '$context.responseLength',
        }),
      ),
    },
  });
  return { api, stage, accessLogGroup };
}
