import js from "@eslint/js";
import tseslint from "typescript-eslint";
import uiText from "./scripts/eslint/ui-text.mjs";

const TWO_UP = { group: ["../../*"], message: "Import from two or more folders up by its @/ path." };

export default tseslint.config(
  // Generated code is checked by the generator's own tests (generated-is-fresh), not linted.
  { ignores: ["node_modules/", ".next/", "agent/dist/", "data/", "next-env.d.ts", "test-results/", "playwright-report/", "server/libvirt/generated/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        performance: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        AbortController: "readonly",
        fetch: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  // TypeScript already reports undefined names, with the real environment's types.
  { files: ["**/*.ts", "**/*.tsx"], rules: { "no-undef": "off" } },
  // Imports read the same from every file: a sibling by "./x", anything further by "@/server/…"
  // or "@/app/…", never by counting "../../../". (The agent is bundled on its own and keeps
  // relative paths inside agent/.)
  {
    files: ["app/**/*.{ts,tsx}", "server/**/*.ts"],
    ignores: ["server/libvirt/generated/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [TWO_UP] }],
    },
  },
  // Links go through app/_components/link.tsx, which turns off Next's prefetch of every link in view.
  {
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/_components/link.tsx"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [TWO_UP], paths: [{ name: "next/link", message: 'Use { Link } from "@/app/_components/link".' }] }],
    },
  },
  // Every word on a page is translatable (scripts/eslint/ui-text.mjs).
  {
    files: ["app/**/*.tsx"],
    plugins: { kvmm: uiText },
    rules: { "kvmm/no-literal-ui-text": "error" },
  },
);
