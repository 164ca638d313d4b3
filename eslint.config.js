// The repository's lint: typescript-eslint's recommended rules with type information off (fast,
// and the compiler already checks types), plus what the house style asks for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', '.stryker-tmp/**', 'test/.mutation-*', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      // Unused names are errors, except a leading underscore (a parameter kept for its place).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      'prefer-const': 'error',
      // lablb matches control characters on purpose (making a daemon's escapes visible), and
      // tests match aligned columns: a run of spaces says what it means there.
      'no-control-regex': 'off',
      'no-regex-spaces': 'off',
    },
  },
  {
    // Tests and benchmarks may print, and use what they test loosely.
    files: ['test/**', 'bench/**', 'scripts/**', 'src/docs/generate.ts', '**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
