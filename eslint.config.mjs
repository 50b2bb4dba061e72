// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The arrows between libs (docs/ARCHITECTURE.md, "The house"): what each lib may import besides
 * `@huizhen/kernel`, which every lib may import and which imports none. A lib never imports an
 * app. Its tests may also import `@huizhen/testing` and what `tests` adds.
 */
const LIB_ARROWS = {
  kernel: [],
  config: [],
  dicom: [],
  contract: [],
  'web-client': [],
  'room-token': [],
  observability: ['config'],
  database: ['config', 'observability'],
  'platform-http': ['config', 'observability', 'database', 'contract'],
  directory: ['database'],
  audit: ['config', 'database', 'observability', 'contract'],
  auth: ['config', 'database', 'directory', 'audit', 'platform-http', 'access-policy', 'contract'],
  'access-policy': ['database', 'audit'],
  'call-events': ['config', 'room-token'],
  'media-signaling': ['room-token'],
  'media-client': ['media-signaling'],
  testing: ['config', 'database', 'observability', 'platform-http', 'directory', 'audit', 'auth'],
};
/** What a lib's tests may import besides its own arrows and @huizhen/testing. */
const TEST_ARROWS = {
  // The agreement tests hold the server's own lists (and the web's messages) equal to the contract's.
  contract: { libs: ['directory'], apps: true },
};
const TEST_FILES = ['**/*.spec.ts', '**/*.e2e-spec.ts'];

function libArrowRule(lib, allowed, appsAllowed) {
  const names = [...new Set(lib === 'kernel' ? allowed : ['kernel', ...allowed])].sort();
  const message = `libs/${lib} may import ${names.length ? names.map((n) => `@huizhen/${n}`).join(', ') : 'no other lib'} (the arrows in docs/ARCHITECTURE.md and LIB_ARROWS in eslint.config.mjs)`;
  const patterns = [
    { regex: names.length ? `^@huizhen/(?!(${names.join('|')})$)` : '^@huizhen/', message },
  ];
  if (!appsAllowed)
    patterns.push({
      regex: '^(\\.\\./){2,}',
      message: `a lib's files import other libs as @huizhen/<name>, never by a path out of their src (nor an app)`,
    });
  return ['error', { patterns }];
}

const libArrowConfigs = Object.entries(LIB_ARROWS).flatMap(([lib, allowed]) => {
  const tests = TEST_ARROWS[lib] ?? { libs: [], apps: false };
  return [
    {
      files: [`libs/${lib}/src/**/*.ts`],
      rules: { 'no-restricted-imports': libArrowRule(lib, allowed, false) },
    },
    {
      files: TEST_FILES.map((f) => `libs/${lib}/src/${f}`),
      rules: {
        'no-restricted-imports': libArrowRule(
          lib,
          [...allowed, 'testing', ...tests.libs],
          tests.apps,
        ),
      },
    },
  ];
});

/** Apps that stand alone: none imports another app (apps/server mounts them, and may). */
const STANDALONE_APPS = ['api', 'imaging', 'media', 'web'];
const APP_ZONES = STANDALONE_APPS.map((app) => ({
  target: `./apps/${app}`,
  from: ['api', 'imaging', 'media', 'server', 'web']
    .filter((a) => a !== app)
    .map((a) => `./apps/${a}`),
  message: `apps/${app} imports no other app: what apps share lives in a lib`,
}));

/**
 * max-params, counting only the parameters a caller passes: a constructor's (NestJS dependency
 * injection) and decorated ones (@Param, @Query, @Req… on a route handler: the framework passes
 * them) do not count, nor a TypeScript `this`.
 */
const maxParams = {
  meta: {
    type: 'suggestion',
    docs: {
      description: 'max-params, without constructors and framework-injected (decorated) parameters',
    },
    schema: [
      {
        type: 'object',
        properties: { max: { type: 'integer', minimum: 0 } },
        additionalProperties: false,
      },
    ],
    messages: {
      tooMany:
        '{{name}} has too many parameters ({{count}}). Maximum allowed is {{max}}: pass an object.',
    },
  },
  /** @param {import('eslint').Rule.RuleContext} context */
  create(context) {
    const max = context.options[0]?.max ?? 5;
    /** @param {any} node */
    const check = (node) => {
      if (node.parent?.type === 'MethodDefinition' && node.parent.kind === 'constructor') return;
      const counted = node.params.filter(
        (p) => !p.decorators?.length && !(p.type === 'Identifier' && p.name === 'this'),
      );
      if (counted.length <= max) return;
      const key =
        node.parent?.type === 'MethodDefinition' || node.parent?.type === 'Property'
          ? node.parent.key
          : null;
      const name =
        node.id?.name ?? (key && key.type === 'Identifier' ? `Method '${key.name}'` : 'A function');
      context.report({
        node,
        messageId: 'tooMany',
        data: {
          name: node.id ? `Function '${name}'` : name,
          count: String(counted.length),
          max: String(max),
        },
      });
    };
    return {
      FunctionDeclaration: check,
      FunctionExpression: check,
      ArrowFunctionExpression: check,
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'apps/web/dist/**',
      'scripts/mediasoup/smoke.cjs',
      'coverage/**',
      'bench/results/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    plugins: { huizhen: { rules: { 'max-params': maxParams } } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'huizhen/max-params': ['error', { max: 5 }],
    },
  },
  ...libArrowConfigs,
  {
    // No import cycles among the apps' and libs' modules (type-only imports do not count: they
    // vanish when compiled). @huizhen/* resolves through tsconfig.json's paths.
    files: ['apps/**/*.{ts,tsx}', 'libs/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json', '.node'],
          tsconfig: { configFile: `${import.meta.dirname}/tsconfig.json` },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // An app never imports another app's internals (the server alone mounts the others).
      'import-x/no-restricted-paths': ['error', { zones: APP_ZONES }],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
);
