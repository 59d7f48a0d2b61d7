/**
 * The OpenAPI 3.1 document of the broker's HTTP contract. Built from the same
 * constants the code validates with (patterns, body limit, error and failure
 * codes), so the parts most likely to drift cannot; tests check the rest
 * against real responses of the local server. Not part of the Lambda bundle:
 * only the local server and the tests import it.
 */
import { ENV } from './config.ts';
import {
  DEVICE_NAME_PATTERN,
  DEVICES_PATH,
  ERROR_CODE,
  ERROR_CODES,
  type ErrorCode,
  problemType,
  TOKENS_PATH,
} from './contract.ts';
import { ERROR_CATALOGUE, type ProblemEntry } from './error-catalogue.ts';
import { ERROR_DOCS, type ErrorDoc } from './error-docs.ts';
import {
  EXAMPLE_DEVICE,
  EXAMPLE_DEVICE_GRANTS,
  EXAMPLE_TOKEN_RESULT,
  GATEWAY_ANSWERS,
  gatewayContent,
  gatewayResponse,
  OPENAPI_SCHEMAS,
  ref,
} from './openapi-schemas.ts';
import { MAX_BODY_BYTES } from './request.ts';

export { GATEWAY_ANSWERS } from './openapi-schemas.ts';

/** How one problem code appears in the document: its catalogue entry and its prose. */
export type ProblemDescription = ProblemEntry & ErrorDoc;

/** Every problem code of the contract, as the error catalogue and its prose describe it. */
export const PROBLEMS: Readonly<Record<ErrorCode, ProblemDescription>> = Object.fromEntries(
  ERROR_CODES.map((code) => [code, { ...ERROR_CATALOGUE[code], ...ERROR_DOCS[code] }]),
) as Record<ErrorCode, ProblemDescription>;

/** A problem code of the document. */
export type ProblemCode = ErrorCode;

const PROBLEM_CODES = ERROR_CODES;

const codesWithStatus = (status: number) =>
  PROBLEM_CODES.filter((code) => PROBLEMS[code].status === status);

const REQUEST_ID = 'b3dea924-e332-4c6d-98cf-0a9a15d6f9de';

const problemExample = (code: ProblemCode, detail: string, extra: object = {}) => ({
  type: problemType(code),
  title: PROBLEMS[code].title,
  status: PROBLEMS[code].status,
  detail,
  code,
  requestId: REQUEST_ID,
  ...extra,
});

/**
 * Details of the examples: the catalogue's public detail where it has one
 * (every 5xx), else a message the broker really answers with.
 */
const EXAMPLE_MESSAGE: Readonly<Partial<Record<ProblemCode, string>>> = {
  INVALID_REQUEST: `devices[1].deviceName: must match ${DEVICE_NAME_PATTERN.source}`,
  UNAUTHENTICATED: 'A bearer token is required in the Authorization header',
  FORBIDDEN_DEVICE: 'Not allowed to request 1 device(s): pkB/cam-9',
  NOT_FOUND: 'No route for /token',
  METHOD_NOT_ALLOWED: 'Method GET is not allowed; use POST',
  PAYLOAD_TOO_LARGE: `The request body must be at most ${MAX_BODY_BYTES} bytes`,
  UNSUPPORTED_MEDIA_TYPE: 'Content-Type must be application/json',
};

const exampleDetail = (code: ProblemCode): string =>
  PROBLEMS[code].publicDetail ?? EXAMPLE_MESSAGE[code] ?? PROBLEMS[code].title;

const EXAMPLE_EXTRA: Partial<Record<ProblemCode, object>> = {
  INVALID_REQUEST: { field: 'devices[1].deviceName' },
  FORBIDDEN_DEVICE: { devices: [{ productKey: 'pkB', deviceName: 'cam-9' }] },
};

/** Name of the response component of each status. */
const RESPONSE_NAMES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const STATUSES = [...new Set(PROBLEM_CODES.map((code) => PROBLEMS[code].status))].sort();

const NO_STORE = {
  description: 'Always `no-store`: tokens and errors must not be cached by intermediaries.',
  schema: { type: 'string', const: 'no-store' },
};

/** The answer of `status`, with the problem `codes` a path answers it with (by default, all). */
function problemResponse(status: number, codes: readonly ProblemCode[] = codesWithStatus(status)) {
  const headers: Record<string, object> = { 'Cache-Control': NO_STORE };
  if (status === 401) {
    headers['WWW-Authenticate'] = {
      description: 'The authentication scheme expected.',
      schema: { type: 'string', examples: ['Bearer'] },
    };
  }
  if (status === 503 || status === 429) {
    headers['Retry-After'] = {
      description: 'Seconds to wait before retrying, when the broker knows.',
      schema: { type: 'string', pattern: '^\\d+$' },
    };
  }
  const schema = {
    allOf: [
      ref('Problem'),
      {
        properties: {
          status: { const: status },
          code: codes.length === 1 ? { const: codes[0] } : { enum: codes },
        },
      },
    ],
  };
  const gateway = GATEWAY_ANSWERS[status];
  const fromGateway = gateway
    ? ` Deployed, API Gateway answers this status itself when ${gateway.when}: \`{"message":"${gateway.message}"}\` as \`application/json\`.`
    : '';
  return {
    description:
      codes.map((code) => `\`${code}\`: ${PROBLEMS[code].description}`).join(' ') + fromGateway,
    headers,
    content: {
      'application/problem+json': {
        schema,
        examples: Object.fromEntries(
          codes.map((code) => [
            code,
            { value: problemExample(code, exampleDetail(code), EXAMPLE_EXTRA[code]) },
          ]),
        ),
      },
      ...gatewayContent(status),
    },
  };
}

const component = (status: number) => ({
  $ref: `#/components/responses/${responseNameOf(status)}`,
});

/** The response component name for a problem status, e.g. 502 → `BadGateway`. */
export function responseNameOf(status: number): string {
  const name = RESPONSE_NAMES[status];
  if (name === undefined) throw new Error(`No response component for status ${status}`);
  return name;
}

/** The OpenAPI 3.1 document, served by the local server at `GET /openapi.json`. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'visual-token-broker',
    version: '1.0.0',
    summary: 'Per-device Tuya visual tokens, without exposing the developer credentials.',
    description: [
      'The broker logs in to the provider for exactly the devices asked for, caches the tokens',
      'until shortly before they expire, and returns them.',
      '',
      'Errors are RFC 9457 `application/problem+json` with a stable `code`. For 5xx errors the',
      '`detail` is generic; the specifics go to the broker’s log. Other Lambdas may invoke the',
      'function directly with the same request body; errors then carry the class name as',
      '`errorType` and a message starting with `CODE: `.',
      '',
      `Every path other than \`${TOKENS_PATH}\` and \`${DEVICES_PATH}\` answers \`404\` (\`${ERROR_CODE.NOT_FOUND}\`), and a method`,
      `other than \`POST\` on \`${TOKENS_PATH}\` or \`GET\` on \`${DEVICES_PATH}\` answers \`405\` (\`${ERROR_CODE.METHOD_NOT_ALLOWED}\`,`,
      'with `Allow`); see those response components.',
      '',
      'Deployed, API Gateway answers some requests itself, before the function runs, with',
      '`application/json` `{"message":…}` instead of problem details: `401` (the JWT authorizer),',
      '`429` (the stage’s throttling) and `404` (an unknown route, or a method the route lacks).',
      'Those response components declare both shapes.',
    ].join('\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: 'http://127.0.0.1:3000', description: 'Local server (`npm start`)' }],
  security: [{ bearerAuth: [] }],
  paths: {
    [TOKENS_PATH]: {
      post: {
        operationId: 'getTokens',
        summary: 'Tokens for a list of devices',
        description:
          'Duplicates are served once. Tokens come back in the order asked for; devices the provider returned no usable token for are listed in `failures`, and the request as a whole still succeeds.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('TokenRequest'),
              examples: {
                oneDevice: { value: { devices: [EXAMPLE_DEVICE] } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Tokens, and the devices that got none.',
            headers: { 'Cache-Control': NO_STORE },
            content: {
              'application/json': {
                schema: ref('TokenResult'),
                examples: { oneTokenOneFailure: { value: EXAMPLE_TOKEN_RESULT } },
              },
            },
          },
          ...Object.fromEntries(
            STATUSES.filter((s) => s !== 404 && s !== 405).map((s) => [String(s), component(s)]),
          ),
        },
      },
    },
    [DEVICES_PATH]: {
      get: {
        operationId: 'listDevices',
        summary: 'The devices the caller may ask tokens for',
        description: `The caller's effective grants, so a frontend can build its camera list and then \`POST ${TOKENS_PATH}\` for the ones on screen. With the grants directory on (\`${ENV.grantsTable}\`), the claim's grants and the directory's for \`user:<sub>\` and each \`group:<name>\` of the groups claim, read on every call unless \`${ENV.grantsCacheSeconds}\` is set; without it, the claim's alone. Always within the deployment's \`${ENV.allowedProductKeys}\`. A method other than \`GET\` answers \`405\` with \`Allow: GET\`.`,
        responses: {
          '200': {
            description: 'The grants: `*`, whole products, and devices one by one.',
            headers: { 'Cache-Control': NO_STORE },
            content: {
              'application/json': {
                schema: ref('DeviceGrantsResult'),
                examples: { productAndDevices: { value: EXAMPLE_DEVICE_GRANTS } },
              },
            },
          },
          '401': component(401),
          '404': {
            ...component(404),
            description:
              'A broker deployed before this path existed: its route table (or the function) has none.',
          },
          '429': gatewayResponse(429),
          '500': component(500),
          '503': problemResponse(503, [ERROR_CODE.GRANTS_UNAVAILABLE]),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A JWT from the deployment’s identity provider, verified by API Gateway’s JWT authorizer (locally: `npm run --silent dev-token`).',
      },
    },
    schemas: OPENAPI_SCHEMAS,
    responses: Object.fromEntries(
      STATUSES.map((status) => [responseNameOf(status), problemResponse(status)]),
    ),
  },
} as const;
