/**
 * ESLint rule kvmm/no-literal-ui-text: words a person reads come from the catalog (next-intl's
 * useTranslations / getTranslations, server/i18n/messages/), never from a literal in the JSX, so the
 * German dashboard has no English left in it. Flags JSX text with a letter in it, string literals
 * as JSX children, and literal values of the props that carry words (aria-label, title,
 * placeholder, label, …Label, …Text, description, …). Unit symbols and the product's name are
 * the same in every language and pass. A technical token that is not a word (a kernel argument
 * shown as code) is allowed with an eslint-disable comment that says so.
 */
const LETTER = /\p{L}/u;
const SAME_IN_EVERY_LANGUAGE = new Set(["B", "KiB", "MiB", "GiB", "TiB", "PiB", "KVM Manager"]);
const WORD_PROPS =
  /^(aria-(label|description|roledescription|placeholder|valuetext)|title|placeholder|alt|label|description|heading|hint|message|summary|caption|[a-z][A-Za-z]*(Label|Text|Title|Hint|Description|Message))$/;

function hasWords(text) {
  const trimmed = text.trim();
  return trimmed !== "" && LETTER.test(trimmed) && !SAME_IN_EVERY_LANGUAGE.has(trimmed);
}

/** The literal words of an expression, or null: "x", `x ${y}`, cond ? "a" : "b". */
function literalWords(node) {
  if (!node) return null;
  if (node.type === "Literal" && typeof node.value === "string") return hasWords(node.value) ? node.value : null;
  if (node.type === "TemplateLiteral") {
    const text = node.quasis.map((q) => q.value.cooked ?? "").join(" ");
    return hasWords(text) ? text : null;
  }
  if (node.type === "ConditionalExpression") return literalWords(node.consequent) ?? literalWords(node.alternate);
  if (node.type === "LogicalExpression") return literalWords(node.right);
  return null;
}

const rule = {
  meta: {
    type: "problem",
    docs: { description: "Words on the page come from the next-intl catalog, not from literals." },
    messages: { literal: 'Put "{{text}}" in the catalog (server/i18n/messages/en and de) and render it with t().' },
    schema: [],
  },
  create(context) {
    const report = (node, text) => context.report({ node, messageId: "literal", data: { text: text.trim().slice(0, 60) } });
    return {
      JSXText(node) {
        if (hasWords(node.value)) report(node, node.value);
      },
      JSXExpressionContainer(node) {
        if (node.parent?.type === "JSXAttribute") return;
        const words = literalWords(node.expression);
        if (words) report(node, words);
      },
      JSXAttribute(node) {
        const name = node.name.type === "JSXIdentifier" ? node.name.name : "";
        if (!WORD_PROPS.test(name) || !node.value) return;
        const words =
          node.value.type === "Literal" ? literalWords(node.value) : node.value.type === "JSXExpressionContainer" ? literalWords(node.value.expression) : null;
        if (words) report(node, words);
      },
    };
  },
};

export default { rules: { "no-literal-ui-text": rule } };
