import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.chronos/', '.tap/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['src/cli/**', 'src/bin/**', 'scripts/**', 'bench/**', 'tests/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The dashboard runs in the browser, as plain ES modules.
    files: ['ui/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // deploy/: plain Node scripts, run without a build step.
    files: ['deploy/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests read arbitrary JSON answers.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
