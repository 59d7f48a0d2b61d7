/**
 * Stands in for `@smithy/core/config` in the Lambda bundle only (an esbuild
 * alias, infra/lambda-bundling.ts); the local server keeps the real module.
 * Every export is the real one, re-exported from its dist file by relative
 * path (not a bare specifier, so the alias does not loop back here), except
 * four whose real versions read what never exists in Lambda:
 *
 * - `loadConfig` reads a setting from the environment, else its default; the
 *   real one also reads `~/.aws/config` and `~/.aws/credentials` (the
 *   shared-ini loader: ini parser, home and profile lookup, file reads).
 *   Lambda has no such files, and the construct sets neither
 *   `AWS_CONFIG_FILE` nor `AWS_SHARED_CREDENTIALS_FILE`, so the real chain
 *   answers there just as this one does: env, then default.
 * - `NODE_REGION_CONFIG_OPTIONS`: the real default asks EC2 instance metadata
 *   (IMDS) for the region; Lambda always sets `AWS_REGION`, so the default
 *   never runs. Here it fails as the real one does when IMDS has no answer.
 * - `resolveDefaultsModeConfig`: the same, but `AWS_DEFAULTS_MODE=auto` takes
 *   the physical region from `AWS_EXECUTION_ENV` and `AWS_REGION` only, never
 *   from IMDS. Lambda sets both, so `auto` resolves in Lambda as before; the
 *   IMDS lookup ran only outside Lambda (and the construct never sets the
 *   mode: the SDK's default is `legacy`).
 * - `getInstanceMetadataRegion` is not re-exported from the real module's
 *   index, so nothing else reaches IMDS.
 *
 * The bundle is 4,104 bytes smaller (5.2 KB dropped, 1.1 KB for this file).
 */
import type * as Real from '@smithy/core/config';
import {
  chain,
  fromStatic,
  memoize,
  REGION_ENV_NAME,
  REGION_INI_NAME,
  // @ts-expect-error: a dist file has no declarations of its own; typed by the `Real` casts below.
} from '../../../node_modules/@smithy/core/dist-es/submodules/config/index.js';
// @ts-expect-error: as above; this is the very module the SDK's own imports of `loadConfig` use.
import { fromEnv } from '../../../node_modules/@smithy/core/dist-es/submodules/config/node-config-provider/fromEnv.js';

// @ts-expect-error: as above. Every other export is the real module's own.
export * from '../../../node_modules/@smithy/core/dist-es/submodules/config/index.js';

// Named imports, not a namespace object: esbuild keeps only what is used.
const real = { chain, fromStatic, memoize, REGION_ENV_NAME, REGION_INI_NAME } as Pick<
  typeof Real,
  'chain' | 'fromStatic' | 'memoize' | 'REGION_ENV_NAME' | 'REGION_INI_NAME'
>;

type LoadConfig = typeof Real.loadConfig;
type EnvSelector = Parameters<LoadConfig>[0]['environmentVariableSelector'];
type EnvOptions = { signingName?: string; logger?: unknown };
type Provider<T> = () => Promise<T>;
const envProvider = fromEnv as <T>(selector: EnvSelector, options: EnvOptions) => Provider<T>;

/**
 * As the real `loadConfig`, without the shared config files: the
 * environment, then the default (a value, or a function called for it).
 */
export const loadConfig: LoadConfig = (
  { environmentVariableSelector, default: defaultValue },
  configuration = {},
) => {
  const { signingName, logger } = configuration;
  return real.memoize(
    real.chain(
      envProvider(environmentVariableSelector, { signingName, logger }),
      real.fromStatic(defaultValue),
    ),
  );
};

/** As the real options: `AWS_REGION`, and no IMDS lookup as the default. */
export const NODE_REGION_CONFIG_OPTIONS: typeof Real.NODE_REGION_CONFIG_OPTIONS = {
  environmentVariableSelector: (env) => env[real.REGION_ENV_NAME],
  configFileSelector: (profile) => profile[real.REGION_INI_NAME],
  default: async () => {
    throw new Error('Region is missing');
  },
};

/** The real module's `AWS_DEFAULTS_MODE` selectors (not exported by it). */
const DEFAULTS_MODE_OPTIONS = {
  environmentVariableSelector: (env: Record<string, string | undefined>) => env.AWS_DEFAULTS_MODE,
  configFileSelector: (profile: Record<string, string | undefined>) => profile.defaults_mode,
  default: 'legacy',
};

const MODES = ['in-region', 'cross-region', 'mobile', 'standard', 'legacy'];

/** Where the code runs, for `auto`: Lambda's own variables, where the real one may ask IMDS. */
const physicalRegion = (): string | undefined => {
  const { AWS_EXECUTION_ENV, AWS_REGION, AWS_DEFAULT_REGION } = process.env;
  return AWS_EXECUTION_ENV ? (AWS_REGION ?? AWS_DEFAULT_REGION) : undefined;
};

/** As the real `resolveDefaultsModeConfig`, but `auto` never reaches IMDS. */
export const resolveDefaultsModeConfig: typeof Real.resolveDefaultsModeConfig = ({
  region = loadConfig(NODE_REGION_CONFIG_OPTIONS),
  defaultsMode = loadConfig(DEFAULTS_MODE_OPTIONS),
} = {}) =>
  real.memoize(async () => {
    const mode = typeof defaultsMode === 'function' ? await defaultsMode() : defaultsMode;
    const lower = mode?.toLowerCase();
    if (lower === undefined) return 'legacy';
    if (lower === 'auto') {
      if (!region) return 'standard';
      const resolved = typeof region === 'function' ? await region() : region;
      const inferred = physicalRegion();
      if (!inferred) return 'standard';
      return resolved === inferred ? 'in-region' : 'cross-region';
    }
    if (MODES.includes(lower)) return lower as 'legacy';
    throw new Error(
      `Invalid parameter for "defaultsMode", expect ${MODES.join(', ')}, got ${mode}`,
    );
  });
