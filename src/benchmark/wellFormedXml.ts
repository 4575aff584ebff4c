/** What `parseXml` found: the root element's name and how many of each element there are. */
export type XmlOutline = { root: string; counts: Record<string, number>; texts: string[] };

const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/** The parse so far: position, open elements and what the outline collects. */
type XmlState = { text: string; i: number; stack: string[]; counts: Record<string, number>; texts: string[]; root: string | undefined };

/** The one-line error at the current offset, with the text that follows it. */
function fail(st: XmlState, what: string): never {
  throw new SyntaxError(`xml offset ${st.i}: ${what} (near ${JSON.stringify(st.text.slice(st.i, st.i + 30))})`);
}

/**
 * A strict, minimal XML well-formedness check (enough for the SVG the bench writes): one root
 * element, matched tags, quoted unique attributes, no bare `<` or `&`. Throws a one-line error
 * naming the offset and what was expected.
 */
export function parseXml(text: string): XmlOutline {
  const st: XmlState = { text, i: 0, stack: [], counts: {}, texts: [], root: undefined };
  while (st.i < text.length) {
    if (text[st.i] !== "<") textRun(st);
    else if (text.startsWith("<?", st.i)) {
      const end = text.indexOf("?>", st.i);
      if (end < 0 || st.root !== undefined) fail(st, "processing instruction not closed or after the root");
      st.i = end + 2;
    } else if (text.startsWith("<!--", st.i)) {
      const end = text.indexOf("-->", st.i);
      if (end < 0) fail(st, "comment not closed");
      st.i = end + 3;
    } else if (text.startsWith("</", st.i)) closeTag(st);
    else openTag(st);
  }
  if (st.stack.length > 0) fail(st, `<${st.stack[st.stack.length - 1]}> not closed at the end`);
  if (st.root === undefined) fail(st, "no root element");
  return { root: st.root!, counts: st.counts, texts: st.texts };
}

/** Text up to the next `<` (kept when not blank; only inside the root). */
function textRun(st: XmlState): void {
  const end = st.text.indexOf("<", st.i);
  const chunk = st.text.slice(st.i, end < 0 ? st.text.length : end);
  checkText(st, chunk, st.i);
  if (chunk.trim() !== "") {
    if (st.stack.length === 0) fail(st, "text outside the root element");
    st.texts.push(chunk);
  }
  st.i = end < 0 ? st.text.length : end;
}

/** Every `&` in text or an attribute value starts an entity, and there is no `<` in it. */
function checkText(st: XmlState, s: string, where: number): void {
  for (let k = s.indexOf("&"); k >= 0; k = s.indexOf("&", k + 1)) {
    if (!ENTITY.test(s.slice(k))) {
      st.i = where + k;
      fail(st, "bare '&', expected an entity such as &amp;");
    }
  }
  if (s.includes("<")) fail(st, "bare '<' in text or attribute");
}

/** `</name>`, closing the innermost open element. */
function closeTag(st: XmlState): void {
  const { text } = st;
  st.i += 2;
  const m = NAME.exec(text.slice(st.i));
  if (!m) fail(st, "expected an element name after '</'");
  const name = m![0];
  st.i += name.length;
  while (/\s/.test(text[st.i] ?? "")) st.i++;
  if (text[st.i] !== ">") fail(st, `expected '>' closing </${name}`);
  const open = st.stack.pop();
  if (open !== name) fail(st, `</${name}> closes <${open ?? "nothing"}>`);
  st.i++;
}

/** `<name attr="v" ...>` or `<name .../>`: counted, the first one is the root, a second root is an error. */
function openTag(st: XmlState): void {
  const { text } = st;
  st.i++;
  const m = NAME.exec(text.slice(st.i));
  if (!m) fail(st, "expected an element name after '<'");
  const name = m![0];
  if (st.stack.length === 0 && st.root !== undefined) fail(st, `second root element <${name}>`);
  st.root ??= name;
  st.counts[name] = (st.counts[name] ?? 0) + 1;
  st.i += name.length;
  const attrs = new Set<string>();
  for (;;) {
    const ws = /^\s*/.exec(text.slice(st.i))![0].length;
    st.i += ws;
    if (text.startsWith("/>", st.i)) {
      st.i += 2;
      return;
    }
    if (text[st.i] === ">") {
      st.i++;
      st.stack.push(name);
      return;
    }
    if (ws === 0) fail(st, `expected whitespace, '>' or '/>' in <${name}>`);
    attribute(st, name, attrs);
  }
}

/** One `attr="value"` (or single quotes) of element `name`; names must not repeat. */
function attribute(st: XmlState, name: string, attrs: Set<string>): void {
  const { text } = st;
  const a = NAME.exec(text.slice(st.i));
  if (!a) fail(st, `expected an attribute name in <${name}>`);
  const attr = a![0];
  if (attrs.has(attr)) fail(st, `attribute ${attr} repeated in <${name}>`);
  attrs.add(attr);
  st.i += attr.length;
  if (text[st.i] !== "=") fail(st, `expected '=' after attribute ${attr}`);
  st.i++;
  const q = text[st.i];
  if (q !== '"' && q !== "'") fail(st, `expected a quoted value for attribute ${attr}`);
  const end = text.indexOf(q!, st.i + 1);
  if (end < 0) fail(st, `attribute ${attr} not closed`);
  checkText(st, text.slice(st.i + 1, end), st.i + 1);
  st.i = end + 1;
}
