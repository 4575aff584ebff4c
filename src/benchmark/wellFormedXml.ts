/** What `parseXml` found: the root element's name and how many of each element there are. */
export type XmlOutline = { root: string; counts: Record<string, number>; texts: string[] };

const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/**
 * A strict, minimal XML well-formedness check (enough for the SVG the bench writes): one root
 * element, matched tags, quoted unique attributes, no bare `<` or `&`. Throws a one-line error
 * naming the offset and what was expected.
 */
export function parseXml(text: string): XmlOutline {
  const stack: string[] = [];
  const counts: Record<string, number> = {};
  const texts: string[] = [];
  let root: string | undefined;
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`xml offset ${i}: ${what} (near ${JSON.stringify(text.slice(i, i + 30))})`);
  };
  const checkText = (s: string, where: number): void => {
    for (let k = s.indexOf("&"); k >= 0; k = s.indexOf("&", k + 1)) {
      if (!ENTITY.test(s.slice(k))) {
        i = where + k;
        fail("bare '&', expected an entity such as &amp;");
      }
    }
    if (s.includes("<")) fail("bare '<' in text or attribute");
  };
  while (i < text.length) {
    if (text[i] !== "<") {
      const end = text.indexOf("<", i);
      const chunk = text.slice(i, end < 0 ? text.length : end);
      checkText(chunk, i);
      if (chunk.trim() !== "") {
        if (stack.length === 0) fail("text outside the root element");
        texts.push(chunk);
      }
      i = end < 0 ? text.length : end;
      continue;
    }
    if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i);
      if (end < 0 || root !== undefined) fail("processing instruction not closed or after the root");
      i = end + 2;
      continue;
    }
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i);
      if (end < 0) fail("comment not closed");
      i = end + 3;
      continue;
    }
    if (text.startsWith("</", i)) {
      i += 2;
      const m = NAME.exec(text.slice(i));
      if (!m) fail("expected an element name after '</'");
      const name = m![0];
      i += name.length;
      while (/\s/.test(text[i] ?? "")) i++;
      if (text[i] !== ">") fail(`expected '>' closing </${name}`);
      const open = stack.pop();
      if (open !== name) fail(`</${name}> closes <${open ?? "nothing"}>`);
      i++;
      continue;
    }
    i++;
    const m = NAME.exec(text.slice(i));
    if (!m) fail("expected an element name after '<'");
    const name = m![0];
    if (stack.length === 0 && root !== undefined) fail(`second root element <${name}>`);
    root ??= name;
    counts[name] = (counts[name] ?? 0) + 1;
    i += name.length;
    const attrs = new Set<string>();
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))![0].length;
      i += ws;
      if (text.startsWith("/>", i)) {
        i += 2;
        break;
      }
      if (text[i] === ">") {
        i++;
        stack.push(name);
        break;
      }
      if (ws === 0) fail(`expected whitespace, '>' or '/>' in <${name}>`);
      const a = NAME.exec(text.slice(i));
      if (!a) fail(`expected an attribute name in <${name}>`);
      const attr = a![0];
      if (attrs.has(attr)) fail(`attribute ${attr} repeated in <${name}>`);
      attrs.add(attr);
      i += attr.length;
      if (text[i] !== "=") fail(`expected '=' after attribute ${attr}`);
      i++;
      const q = text[i];
      if (q !== '"' && q !== "'") fail(`expected a quoted value for attribute ${attr}`);
      const end = text.indexOf(q!, i + 1);
      if (end < 0) fail(`attribute ${attr} not closed`);
      checkText(text.slice(i + 1, end), i + 1);
      i = end + 1;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]}> not closed at the end`);
  if (root === undefined) fail("no root element");
  return { root: root!, counts, texts };
}
