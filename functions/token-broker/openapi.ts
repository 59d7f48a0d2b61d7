/**
 * The OpenAPI 3.1 document of the broker's HTTP contract. Built from the same
 * constants the code validates with (patterns, body limit, error and failure
 * codes), so the parts most likely to drift cannot; tests check the rest
 * against real responses of the local server. Not part of the Lambda bundle:
 * only the local server and the tests import it.
 */
import {
  DEVICE_FAILURE_CODES,
  DEVICE_NAME_PATTERN,
  ERROR_CODE,
  ERROR_CODES,
  type ErrorCode,
  problemType,
} from './contract.ts';
import { ERROR_CATALOGUE, type ProblemEntry } from './error-catalogue.ts';
import { ERROR_DOCS, type ErrorDoc } from './error-docs.ts';
import { EXAMPLE_DEVICE, OPENAPI_SCHEMAS, ref } from './openapi-schemas.ts';
import { MAX_BODY_BYTES } from './request.ts';

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

function problemResponse(status: number) {
  const codes = codesWithStatus(status);
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

/**
 * What API Gateway itself answers, deployed, before the function runs: the
 * message of its `application/json` body, and why it answers.
 */
export const GATEWAY_ANSWERS: Readonly<Record<number, { message: string; when: string }>> = {
  401: { message: 'Unauthorized', when: 'its JWT authorizer refuses the bearer token' },
  404: { message: 'Not Found', when: 'the API has no route for the method and path' },
  429: { message: 'Too Many Requests', when: 'the stage’s throttling refuses the request' },
};

/** The `application/json` answer of API Gateway for `status`, if it has one. */
function gatewayContent(status: number) {
  const answer = GATEWAY_ANSWERS[status];
  if (answer === undefined) return {};
  return {
    'application/json': {
      schema: ref('GatewayMessage'),
      examples: { apiGateway: { value: { message: answer.message } } },
    },
  };
}

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
      `Every path other than \`/tokens\` answers \`404\` (\`${ERROR_CODE.NOT_FOUND}\`), and every method other than`,
      `\`POST\` on \`/tokens\` answers \`405\` (\`${ERROR_CODE.METHOD_NOT_ALLOWED}\`); see those response components.`,
      '',
      'Deployed, API Gateway answers some requests itself, before the function runs, with',
      '`application/json` `{"message":…}` instead of problem details: `401` (the JWT authorizer),',
      '`429` (the stage’s throttling) and `404` (an unknown route, or a method other than `POST`).',
      'Those response components declare both shapes.',
    ].join('\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: 'http://127.0.0.1:3000', description: 'Local server (`npm start`)' }],
  security: [{ bearerAuth: [] }],
  paths: {
    '/tokens': {
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
                examples: {
                  oneTokenOneFailure: {
                    value: {
                      tokens: [
                        {
                          ...EXAMPLE_DEVICE,
                          visualToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3a05DQX…',
                          expiresAt: '2026-11-22T00:45:55.000Z',
                          expiresIn: 3599,
                        },
                      ],
                      failures: [
                        {
                          productKey: 'pk1',
                          deviceName: 'unknown-device',
                          code: DEVICE_FAILURE_CODES.noToken,
                          message: 'The upstream returned no token for this device',
                        },
                      ],
                    },
                  },
                },
              },
            },
          },
          ...Object.fromEntries(
            STATUSES.filter((s) => s !== 404 && s !== 405).map((status) => [
              String(status),
              { $ref: `#/components/responses/${responseNameOf(status)}` },
            ]),
          ),
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
