/**
 * JSON Schema validators for the schemas of the OpenAPI document, so tests
 * can check real responses against the published contract.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { OPENAPI_DOCUMENT } from '../../functions/token-broker/openapi.ts';

const DOCUMENT_ID = 'urn:visual-token-broker:openapi';

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
// The document as a whole is not a schema; registering it lets schemas be
// addressed by JSON pointer, references between them included.
ajv.addSchema({ ...OPENAPI_DOCUMENT, $id: DOCUMENT_ID });

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** A validator of the schema at `path` (JSON pointer segments) in the document. */
export function schemaAt(...path: string[]): ValidateFunction {
  return ajv.compile({ $ref: `${DOCUMENT_ID}#/${pointer(...path)}` });
}

/** Validates the 200 body of `POST /tokens`. */
export const validateTokenResult = schemaAt(
  'paths',
  '/tokens',
  'post',
  'responses',
  '200',
  'content',
  'application/json',
  'schema',
);

/** Validates a problem body against the response component of `responseName`. */
export const problemValidator = (responseName: string): ValidateFunction =>
  schemaAt(
    'components',
    'responses',
    responseName,
    'content',
    'application/problem+json',
    'schema',
  );

/** Readable validation errors, for assertion messages. */
export const errorsOf = (validate: ValidateFunction): string =>
  ajv.errorsText(validate.errors ?? [], { separator: '\n' });
