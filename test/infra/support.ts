/**
 * Synthesis helpers for the infra tests. Bundling is skipped through the
 * `aws:cdk:bundling-stacks` context, so these tests never run esbuild.
 */
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.ts';
import { TokenBrokerStack } from '../../infra/token-broker-stack.ts';

/** Context that turns asset bundling off for every stack. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** The deployable stack with the given context (and stack props), and its template. */
export function synthStack(context: Record<string, unknown> = {}, props: StackProps = {}) {
  const app = new App({ context: { ...NO_BUNDLING, ...context } });
  const stack = new TokenBrokerStack(app, 'Broker', props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The bare construct in an empty stack, not yet synthesized. */
export function buildConstruct(props: Partial<TokenBrokerProps> = {}) {
  const app = new App({ context: NO_BUNDLING });
  const stack = new Stack(app, 'Host');
  const broker = new TokenBroker(stack, 'Broker', {
    upstreamUrl: 'https://gateway.example.com',
    ...props,
  });
  return { app, stack, broker };
}

/**
 * The bare construct in an empty stack whose props are made in that stack
 * (a KMS key, a table), and its template.
 */
export function synthConstructWith(props: (stack: Stack) => Partial<TokenBrokerProps>) {
  const app = new App({ context: NO_BUNDLING });
  const stack = new Stack(app, 'Host');
  const broker = new TokenBroker(stack, 'Broker', {
    upstreamUrl: 'https://gateway.example.com',
    ...props(stack),
  });
  return { app, stack, broker, template: Template.fromStack(stack) };
}

/** The bare construct in an empty stack, and its template. */
export function synthConstruct(props: Partial<TokenBrokerProps> = {}) {
  const built = buildConstruct(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The one function's properties in a template. */
export function functionProps(template: Template): Record<string, unknown> & {
  Environment: { Variables: Record<string, unknown> };
} {
  const fns = Object.values(template.findResources('AWS::Lambda::Function'));
  if (fns.length !== 1) throw new Error(`expected one function, found ${fns.length}`);
  return fns[0]?.Properties;
}

/** The logical id of the only resource of a type. */
export function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
}

/** Every statement of every IAM policy in the template. */
export function policyStatements(template: Template): Array<{
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement,
  );
}
