/**
 * The CDK app: one stack, settings from context, checked by cdk-nag
 * (AwsSolutions and Serverless packs) on every synth.
 *
 * A bad setting is thrown as an error whose message names it; that message
 * is printed alone, without Node's stack frames, and the synth exits 1.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { stackNameFromContext } from './stack-context.ts';
import { TokenBrokerStack } from './token-broker-stack.ts';

try {
  const app = new App();
  new TokenBrokerStack(app, stackNameFromContext(app));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
