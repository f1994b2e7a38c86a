// Recursive-descent parser for the XDR language (RFC 4506 §6) with the
// rpcgen extensions libvirt uses: `unsigned` alone, `char`, `short`, `long`.
import type { BaseType, Declaration, Definition, EnumMember, ProtocolFile, Shape, UnionArm, Value } from "./ast";
import { parseIntLiteral, tokenize, XdrSyntaxError, type Token } from "./lexer";

export function parseProtocol(source: string, file: string): ProtocolFile {
  return new Parser(tokenize(source, file), file).parseFile();
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  parseFile(): ProtocolFile {
    const definitions: Definition[] = [];
    while (this.peek().kind !== "eof") definitions.push(this.definition());
    return { file: this.file, definitions };
  }

  private definition(): Definition {
    const keyword = this.ident();
    let def: Definition;
    switch (keyword) {
      case "const": {
        const name = this.ident();
        this.expect("=");
        def = { kind: "const", name, value: this.value() };
        break;
      }
      case "typedef":
        def = { kind: "typedef", decl: this.declaration() };
        break;
      case "enum":
        def = { kind: "enum", name: this.ident(), members: this.enumBody() };
        break;
      case "struct":
        def = { kind: "struct", name: this.ident(), fields: this.structBody() };
        break;
      case "union":
        def = this.union(this.ident());
        break;
      default:
        throw this.error(`expected a definition, got '${keyword}'`);
    }
    this.expect(";");
    return def;
  }

  private enumBody(): EnumMember[] {
    this.expect("{");
    const members: EnumMember[] = [];
    for (;;) {
      const token = this.peek();
      const name = this.ident();
      this.expect("=");
      members.push({ name, value: this.value(), comment: token.comment });
      if (this.accept(",")) continue;
      this.expect("}");
      return members;
    }
  }

  private structBody(): Declaration[] {
    this.expect("{");
    const fields: Declaration[] = [];
    while (!this.accept("}")) {
      const decl = this.declarationOrVoid();
      if (!decl) throw this.error("void is not allowed as a struct member");
      fields.push(decl);
      this.expect(";");
    }
    return fields;
  }

  private union(name: string): Definition {
    this.expectIdent("switch");
    this.expect("(");
    const discriminant = this.declaration();
    this.expect(")");
    this.expect("{");
    const arms: UnionArm[] = [];
    let defaultArm: Declaration | null | undefined;
    while (!this.accept("}")) {
      if (this.peek().text === "default") {
        this.pos++;
        this.expect(":");
        defaultArm = this.declarationOrVoid();
        this.expect(";");
        continue;
      }
      const cases: Value[] = [];
      while (this.peek().text === "case") {
        this.pos++;
        cases.push(this.value());
        this.expect(":");
      }
      if (cases.length === 0) throw this.error(`expected 'case' or 'default' in union ${name}`);
      arms.push({ cases, decl: this.declarationOrVoid() });
      this.expect(";");
    }
    return { kind: "union", name, discriminant, arms, defaultArm };
  }

  private declaration(): Declaration {
    const decl = this.declarationOrVoid();
    if (!decl) throw this.error("void is not allowed here");
    return decl;
  }

  private declarationOrVoid(): Declaration | null {
    if (this.peek().text === "void") {
      this.pos++;
      return null;
    }
    const type = this.typeSpecifier();
    if (this.accept("*")) return { name: this.ident(), type, shape: { kind: "optional" } };
    const name = this.ident();
    const shape = this.shape(type, name);
    return { name, type, shape };
  }

  private shape(type: BaseType, name: string): Shape {
    if (this.accept("[")) {
      const size = this.value();
      this.expect("]");
      if (type.kind === "string") throw this.error(`string ${name} must use <>, not []`);
      return { kind: "fixed", size };
    }
    if (this.accept("<")) {
      const max = this.peek().text === ">" ? null : this.value();
      this.expect(">");
      return { kind: "var", max };
    }
    if (type.kind === "string" || type.kind === "opaque") {
      throw this.error(`${type.kind} ${name} needs a length ([n] or <n>)`);
    }
    return { kind: "scalar" };
  }

  private typeSpecifier(): BaseType {
    const word = this.ident();
    switch (word) {
      case "unsigned": {
        const next = this.peek().text;
        if (next === "int" || next === "long" || next === "short") {
          this.pos++;
          return { kind: "uint" };
        }
        if (next === "hyper") {
          this.pos++;
          return { kind: "uhyper" };
        }
        if (next === "char") {
          this.pos++;
          return { kind: "uchar" };
        }
        return { kind: "uint" };
      }
      case "int":
      case "long":
      case "short":
        return { kind: "int" };
      case "char":
        return { kind: "char" };
      case "hyper":
        return { kind: "hyper" };
      case "float":
        return { kind: "float" };
      case "double":
        return { kind: "double" };
      case "bool":
        return { kind: "bool" };
      case "string":
        return { kind: "string" };
      case "opaque":
        return { kind: "opaque" };
      case "quadruple":
        throw this.error("quadruple (128-bit float) has no JavaScript representation");
      case "struct":
      case "enum":
      case "union":
        if (this.peek().text === "{") throw this.error(`inline ${word} definitions are not supported; name the type`);
        return { kind: "named", name: this.ident() };
      default:
        return { kind: "named", name: word };
    }
  }

  private value(): Value {
    const token = this.next();
    if (token.kind === "number") return { num: parseIntLiteral(token.text) };
    if (token.kind === "ident") return { ident: token.text };
    throw this.error(`expected a constant, got '${token.text}'`, token);
  }

  private ident(): string {
    const token = this.next();
    if (token.kind !== "ident") throw this.error(`expected an identifier, got '${token.text || "end of file"}'`, token);
    return token.text;
  }

  private expectIdent(word: string): void {
    const got = this.ident();
    if (got !== word) throw this.error(`expected '${word}', got '${got}'`);
  }

  private expect(punct: string): void {
    const token = this.next();
    if (token.text !== punct || token.kind !== "punct") {
      throw this.error(`expected '${punct}', got '${token.text || "end of file"}'`, token);
    }
  }

  private accept(punct: string): boolean {
    const token = this.peek();
    if (token.kind === "punct" && token.text === punct) {
      this.pos++;
      return true;
    }
    return false;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const token = this.tokens[this.pos]!;
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  private error(message: string, token = this.tokens[Math.max(0, this.pos - 1)]!): XdrSyntaxError {
    return new XdrSyntaxError(this.file, token.line, message);
  }
}
