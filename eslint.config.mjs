// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  directory: [],
  audit: ['config', 'database', 'observability'],
  auth: ['config', 'directory', 'audit', 'platform-http'],
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
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  ...libArrowConfigs,
);
