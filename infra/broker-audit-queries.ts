/**
 * The audit trail's saved CloudWatch Logs Insights queries (issue 17): the
 * function writes one `token audit` line per token request, and these find
 * who was given a device, what a principal was given, and who is refused.
 * The operator replaces the upper-case placeholder before running one
 * (docs/operations.md "Audit trail").
 */
import { Stack } from 'aws-cdk-lib';
import {
  type ILogGroup,
  QueryDefinition,
  QueryString,
  type QueryStringProps,
} from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The `message` of the function's audit line. */
export const AUDIT_MESSAGE = 'token audit';

const isAudit = `message = "${AUDIT_MESSAGE}"`;

/** One saved query: its name under the stack's prefix, and its commands. */
export interface AuditQuerySpec {
  /** The last part of its name. */
  readonly name: string;
  /** Its commands, as Logs Insights' query builder takes them. */
  readonly query: QueryStringProps;
}

/**
 * The saved queries, by property name: each with its name (under
 * `visual-token-broker/<stack>/`) and its parts. The placeholders
 * (`PRODUCTKEY`, `DEVICENAME`, `SUB`) are what the operator edits.
 */
export const AUDIT_QUERIES = {
  /** Who was given device X: every request that served it. */
  deviceGiven: {
    name: 'device-given',
    query: {
      fields: ['@timestamp', 'principal', 'groups', 'requestId'],
      // `served` is comma-joined: anchor on commas so `pk/cam1` misses `pk/cam10`.
      filterStatements: [`${isAudit} and served like /(^|,)PRODUCTKEY\\/DEVICENAME(,|$)/`],
      sort: '@timestamp desc',
    },
  },
  /** What principal P was given: its requests, served, refused and failed. */
  principalGiven: {
    name: 'principal-given',
    query: {
      fields: ['@timestamp', 'served', 'refused', 'failed', 'outcome', 'requestId'],
      filterStatements: [`${isAudit} and principal = "user:SUB"`],
      sort: '@timestamp desc',
    },
  },
  /** Refusals by principal: who asks for devices it was not granted. */
  refusalsByPrincipal: {
    name: 'refusals-by-principal',
    query: {
      filterStatements: [`${isAudit} and refused != ""`],
      statsStatements: ['count(*) as refusals by principal'],
      sort: 'refusals desc',
    },
  },
} satisfies Record<string, AuditQuerySpec>;

/** The saved queries of one broker, by the names of {@link AUDIT_QUERIES}. */
export type AuditQueries = { readonly [K in keyof typeof AUDIT_QUERIES]: QueryDefinition };

/** The query text as Logs Insights stores it: one command a line. */
export function auditQueryText(query: QueryStringProps): string {
  return new QueryString(query).toString();
}

/**
 * Creates the saved queries in `scope`, on `logGroup` (the function's), named
 * `visual-token-broker/<stack name>/<query>` so each stage's are apart.
 */
export function createAuditQueries(scope: Construct, logGroup: ILogGroup): AuditQueries {
  const stackName = Stack.of(scope).stackName;
  const entries = Object.entries(AUDIT_QUERIES).map(([key, { name, query }]) => {
    const id = `AuditQuery${key[0]?.toUpperCase()}${key.slice(1)}`;
    const definition = new QueryDefinition(scope, id, {
      queryDefinitionName: `visual-token-broker/${stackName}/${name}`,
      queryString: new QueryString(query),
      logGroups: [logGroup],
    });
    return [key, definition] as const;
  });
  return Object.fromEntries(entries) as AuditQueries;
}
