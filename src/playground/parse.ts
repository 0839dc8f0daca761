/**
 * Parses a playground line such as `/settings support-note text:"Call Ana, 555"` into a command name, a
 * subcommand path and options. Values may be quoted with "…" or '…' (backslash escapes the quote);
 * `\n` in a value becomes a line break.
 */

export interface ParsedCommand {
  name: string;
  subcommand: string[];
  options: Record<string, string>;
}

export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\' && (line[i + 1] === quote || line[i + 1] === '\\')) {
        current += line[i + 1];
        i += 1;
      } else if (ch === quote) {
        quote = undefined;
      } else {
        current += ch;
      }
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (started) tokens.push(current);
      current = '';
      started = false;
      continue;
    }
    current += ch;
    started = true;
  }
  if (quote) throw new Error('a quote is not closed');
  if (started) tokens.push(current);
  return tokens;
}

export function parseCommandLine(line: string): ParsedCommand {
  const trimmed = line.trim();
  if (!trimmed.startsWith('/')) throw new Error('a command starts with /');
  const tokens = tokenize(trimmed.slice(1));
  const [name, ...rest] = tokens;
  if (!name) throw new Error('type a command name after the /');
  const subcommand: string[] = [];
  const options: Record<string, string> = {};
  for (const token of rest) {
    const colon = token.indexOf(':');
    if (colon > 0) {
      options[token.slice(0, colon)] = token.slice(colon + 1).replace(/\\n/g, '\n');
    } else if (Object.keys(options).length === 0) {
      subcommand.push(token);
    } else {
      throw new Error(`"${token}" is not an option: write name:value (quote values with spaces)`);
    }
  }
  return { name, subcommand, options };
}
