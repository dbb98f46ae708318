// Real local HTTP servers standing in for the services swarm-balance notifies: Slack, Microsoft Teams (Workflows),
// Discord, Mattermost, Telegram, a generic webhook and Alertmanager. Each checks a request the way its service
// documents it, answers the way that service answers, records every request with its verdict, and can be scripted
// per request to answer normally, refuse with the service's own 400, rate-limit (429 + Retry-After), fail (500),
// hang, or be down (connections refused).
//
// Sources for what each checks and answers (the test report lists them with addresses):
// - Slack: docs.slack.dev "Sending messages using incoming webhooks" and the 2016-05-17 changelog "Improving error
//   conditions for Incoming Webhooks" (200 `ok`; 400 `invalid_payload`, `no_text`; 404 `no_service`); Block Kit
//   reference (50 blocks, section text 3000, header 150, context 10 elements); "Rate limits" (1 message/s,
//   HTTP 429 with a Retry-After header in seconds).
// - Discord: "Execute Webhook" (204, or 200 with the message for ?wait=true; one of content/embeds), "Embed Limits"
//   (title 256, description 4096, 25 fields, name 256, value 1024, footer 2048, 6000 in total, 10 embeds),
//   JSON error codes (50006 empty message, 50035 Invalid Form Body, 50109 invalid JSON), "Rate Limits" (429 body
//   { message, retry_after (seconds, float), global } and a Retry-After header).
// - Telegram: Bot API "Making requests" ({ ok, result } / { ok:false, error_code, description, parameters }),
//   sendMessage (text 1-4096 characters after entities parsing), "HTML style" (the supported tags, and only the
//   named entities &lt; &gt; &amp; &quot;), ResponseParameters.retry_after.
// - Teams: learn.microsoft.com "Create incoming webhooks with Workflows" / "Send Adaptive Cards" (a `message` with
//   attachments of contentType application/vnd.microsoft.card.adaptive, a card of type AdaptiveCard; 28 KB);
//   the Workflows trigger answers 202 Accepted.
// - Mattermost: developers.mattermost.com "Incoming webhooks" (200 `ok`; 400 AppError JSON
//   { id, message, detailed_error, request_id, status_code }, e.g. web.incoming_webhook.text.app_error).
// - Alertmanager 0.25 (verified against the Debian binary): POST /api/v2/alerts answers 200 with no body, 400 with
//   a JSON string ("at least one label pair required", "start time must be before end time"), 415 for another type.
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type StandinKind = 'slack' | 'teams' | 'discord' | 'mattermost' | 'telegram' | 'webhook' | 'alertmanager';
export const STANDIN_KINDS: readonly StandinKind[] = [
  'slack',
  'teams',
  'discord',
  'mattermost',
  'telegram',
  'webhook',
  'alertmanager',
];

/** How to answer one request. `normal` answers as the service would: 2xx if the request is valid, its own error if not. */
export type Answer =
  'normal' | 'bad-request' | 'server-error' | 'hang' | { rateLimitSeconds: number; via?: 'header' | 'body' | 'both' };

/** Answers for the next requests in order (then `normal`), or a function of the request's index since the script was set. */
export type Script = readonly Answer[] | ((index: number, request: SeenRequest) => Answer);

export interface Verdict {
  ok: boolean;
  problems: string[];
}

export interface SeenRequest {
  /** Date.now() when the whole body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
  verdict: Verdict;
  /** What the script said: `normal`, `bad-request`, `rate-limit 2s`, `server-error`, `hang`. */
  answer: string;
  status: number | null;
  answeredAt: number | null;
  /** The client hung up before an answer was sent (a hang it gave up on). */
  abandoned: boolean;
}

export interface Standin {
  kind: StandinKind;
  /** Base address, http://127.0.0.1:PORT, without a path. */
  url: string;
  requests: SeenRequest[];
  /** The body of the service's own 400 that `bad-request` answers with. */
  badRequestBody: string;
  setScript(script: Script): void;
  /** Stops listening and drops open connections: new connections are refused until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

interface Incoming {
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
  json: unknown;
}

interface Service {
  /** Problems with the request, and the service's own answer to the first one; null when there is none. */
  check(req: Incoming): { problems: string[]; reply: Reply | null };
  accepted(req: Incoming): Reply;
  badRequest: Reply;
  rateLimited(seconds: number, via: 'header' | 'body' | 'both'): Reply;
  via: 'header' | 'body' | 'both';
}

// ---------- shared helpers ----------

const text = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
});
const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json', ...headers },
});
const retryAfter = (seconds: number, via: 'header' | 'body' | 'both'): Record<string, string> =>
  via === 'body' ? {} : { 'retry-after': String(Math.ceil(seconds)) };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const chars = (s: string): number => [...s].length;
const isJsonType = (req: Incoming) => /^application\/json\s*(;|$)/i.test(req.contentType);

/** Collects problems; the first one decides the answer. */
class Checks {
  problems: string[] = [];
  reply: Reply | null = null;
  fail(problem: string, reply: Reply): this {
    this.problems.push(problem);
    this.reply ??= reply;
    return this;
  }
  done(): { problems: string[]; reply: Reply | null } {
    return { problems: this.problems, reply: this.reply };
  }
}

// ---------- Slack incoming webhook ----------

const SLACK_TEXT_TYPES = ['plain_text', 'mrkdwn'];

function slackText(v: unknown, where: string, max: number, c: Checks, only?: 'plain_text'): void {
  const bad = text(400, 'invalid_blocks');
  if (!isObj(v) || !isStr(v.type) || !SLACK_TEXT_TYPES.includes(v.type))
    return void c.fail(`${where}: not a text object`, bad);
  if (only && v.type !== only) c.fail(`${where}: must be ${only}`, bad);
  if (!isStr(v.text) || v.text.length === 0) c.fail(`${where}: empty text`, bad);
  else if (v.text.length > max) c.fail(`${where}: ${v.text.length} characters, more than ${max}`, bad);
  if (v.type === 'mrkdwn' && 'emoji' in v) c.fail(`${where}: emoji is only allowed on plain_text`, bad);
}

const slack: Service = {
  check(req) {
    const c = new Checks();
    if (!isJsonType(req))
      return c.fail(`content-type ${req.contentType || '(none)'}`, text(400, 'invalid_payload')).done();
    if (!isObj(req.json)) return c.fail('body is not a JSON object', text(400, 'invalid_payload')).done();
    const m = req.json;
    const blocks = m.blocks;
    if (blocks !== undefined && !Array.isArray(blocks))
      return c.fail('blocks is not an array', text(400, 'invalid_blocks_format')).done();
    const hasText = isStr(m.text) && m.text.trim() !== '';
    if (!hasText && !blocks?.length && !(Array.isArray(m.attachments) && m.attachments.length))
      return c.fail('no text, blocks or attachments', text(400, 'no_text')).done();
    if (m.text !== undefined && !isStr(m.text)) c.fail('text is not a string', text(400, 'invalid_payload'));
    if (blocks && blocks.length > 50) c.fail(`${blocks.length} blocks, more than 50`, text(400, 'invalid_blocks'));
    (blocks ?? []).forEach((b: unknown, i: number) => {
      const where = `blocks[${i}]`;
      if (!isObj(b)) return void c.fail(`${where}: not an object`, text(400, 'invalid_blocks'));
      if (b.type === 'header') slackText(b.text, `${where}.text`, 150, c, 'plain_text');
      else if (b.type === 'section') {
        if (b.text === undefined && b.fields === undefined)
          c.fail(`${where}: section without text or fields`, text(400, 'invalid_blocks'));
        if (b.text !== undefined) slackText(b.text, `${where}.text`, 3000, c);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10)
            c.fail(`${where}.fields: more than 10`, text(400, 'invalid_blocks'));
          else b.fields.forEach((f, j) => slackText(f, `${where}.fields[${j}]`, 2000, c));
        }
      } else if (b.type === 'context') {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)
          c.fail(`${where}.elements: 1 to 10 needed`, text(400, 'invalid_blocks'));
        else b.elements.forEach((el, j) => slackText(el, `${where}.elements[${j}]`, 3000, c));
      } else if (b.type !== 'divider')
        c.fail(`${where}: block type ${String(b.type)} not checked by this stand-in`, text(400, 'invalid_blocks'));
    });
    return c.done();
  },
  accepted: () => text(200, 'ok', { 'content-type': 'text/html' }),
  badRequest: text(400, 'invalid_payload'),
  rateLimited: (s, via) => text(429, 'rate_limited', retryAfter(s, via)),
  via: 'header',
};

// ---------- Discord webhook ----------

const DISCORD_EMPTY = { code: 50006, message: 'Cannot send an empty message' };

/** `{"code":50035,"message":"Invalid Form Body","errors":{...}}` with one error at a dotted path. */
function formBody(path: (string | number)[], code: string, message: string): Reply {
  const errors: Obj = {};
  let at = errors;
  for (const key of path) at = (at[String(key)] = {}) as Obj;
  at._errors = [{ code, message }];
  return json(400, { code: 50035, errors, message: 'Invalid Form Body' });
}

const discord: Service = {
  check(req) {
    const c = new Checks();
    if (!/^\/api\/webhooks\/\d+\/[\w-]+$/.test(req.path))
      return c.fail(`path ${req.path}`, json(404, { message: 'Unknown Webhook', code: 10015 })).done();
    if (!isJsonType(req)) return c.fail(`content-type ${req.contentType || '(none)'}`, json(400, DISCORD_EMPTY)).done();
    if (req.json === undefined)
      return c
        .fail('body is not JSON', json(400, { code: 50109, message: 'The request body contains invalid JSON.' }))
        .done();
    if (!isObj(req.json)) return c.fail('body is not an object', json(400, DISCORD_EMPTY)).done();
    const m = req.json;
    const embeds = m.embeds === undefined ? [] : m.embeds;
    const content = isStr(m.content) ? m.content : '';
    if (!Array.isArray(embeds))
      return c
        .fail(
          'embeds is not an array',
          formBody(['embeds'], 'MODEL_TYPE_CONVERT', 'Only iterables may be used in a ListType'),
        )
        .done();
    if (content.trim() === '' && embeds.length === 0)
      return c.fail('neither content nor embeds', json(400, DISCORD_EMPTY)).done();
    const max = (path: (string | number)[], value: unknown, limit: number) => {
      if (value === undefined) return;
      if (!isStr(value))
        c.fail(`${path.join('.')}: not a string`, formBody(path, 'BASE_TYPE_STRING', 'Must be a string.'));
      else if (chars(value) > limit)
        c.fail(
          `${path.join('.')}: ${chars(value)} characters, more than ${limit}`,
          formBody(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${limit} or fewer in length.`),
        );
    };
    const required = (path: (string | number)[], value: unknown, limit: number) => {
      if (!isStr(value) || value.trim() === '')
        c.fail(`${path.join('.')}: required`, formBody(path, 'BASE_TYPE_REQUIRED', 'This field is required'));
      else max(path, value, limit);
    };
    max(['content'], m.content, 2000);
    if (embeds.length > 10)
      c.fail(
        `${embeds.length} embeds, more than 10`,
        formBody(['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.'),
      );
    let total = 0;
    const count = (v: unknown) => {
      total += isStr(v) ? chars(v) : 0;
    };
    embeds.forEach((e: unknown, i: number) => {
      if (!isObj(e))
        return void c.fail(
          `embeds.${i}: not an object`,
          formBody(['embeds', i], 'MODEL_TYPE_CONVERT', 'Must be an object.'),
        );
      max(['embeds', i, 'title'], e.title, 256);
      max(['embeds', i, 'description'], e.description, 4096);
      count(e.title);
      count(e.description);
      if (isObj(e.footer)) {
        max(['embeds', i, 'footer', 'text'], e.footer.text, 2048);
        count(e.footer.text);
      }
      if (isObj(e.author)) {
        max(['embeds', i, 'author', 'name'], e.author.name, 256);
        count(e.author.name);
      }
      if (
        e.color !== undefined &&
        !(Number.isInteger(e.color) && (e.color as number) >= 0 && (e.color as number) <= 0xffffff)
      )
        c.fail(
          `embeds.${i}.color: ${String(e.color)}`,
          formBody(['embeds', i, 'color'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 16777215.'),
        );
      if (e.timestamp !== undefined && !(isStr(e.timestamp) && Number.isFinite(Date.parse(e.timestamp))))
        c.fail(
          `embeds.${i}.timestamp: not ISO8601`,
          formBody(['embeds', i, 'timestamp'], 'DATE_TIME_TYPE_PARSE', 'Could not parse timestamp. Should be ISO8601.'),
        );
      if (e.url !== undefined && !(isStr(e.url) && /^https?:\/\//.test(e.url)))
        c.fail(
          `embeds.${i}.url: not a URL`,
          formBody(['embeds', i, 'url'], 'URL_TYPE_INVALID_URL', 'Not a well formed URL.'),
        );
      const fields = e.fields === undefined ? [] : e.fields;
      if (!Array.isArray(fields) || fields.length > 25)
        return void c.fail(
          `embeds.${i}.fields: more than 25`,
          formBody(['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.'),
        );
      fields.forEach((f: unknown, j: number) => {
        const field = isObj(f) ? f : {};
        required(['embeds', i, 'fields', j, 'name'], field.name, 256);
        required(['embeds', i, 'fields', j, 'value'], field.value, 1024);
        count(field.name);
        count(field.value);
      });
    });
    if (total > 6000)
      c.fail(
        `embeds: ${total} characters in total, more than 6000`,
        formBody(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000'),
      );
    const parse = isObj(m.allowed_mentions) ? m.allowed_mentions.parse : [];
    if (!Array.isArray(parse) || parse.some((p) => !['roles', 'users', 'everyone'].includes(p as string)))
      c.fail(
        'allowed_mentions.parse: unknown value',
        formBody(
          ['allowed_mentions', 'parse'],
          'BASE_TYPE_CHOICES',
          "Value must be one of {'roles', 'users', 'everyone'}.",
        ),
      );
    return c.done();
  },
  accepted(req) {
    if (req.query.get('wait') !== 'true') return { status: 204, body: '' };
    const m = req.json as Obj;
    return json(200, {
      id: String(Date.now()),
      type: 0,
      content: m.content ?? '',
      embeds: m.embeds ?? [],
      webhook_id: req.path.split('/')[3],
      timestamp: new Date().toISOString(),
    });
  },
  badRequest: json(400, DISCORD_EMPTY),
  rateLimited: (s, via) =>
    json(
      429,
      via === 'header'
        ? { message: 'You are being rate limited.', global: false }
        : { message: 'You are being rate limited.', retry_after: s, global: false },
      { ...retryAfter(s, via), 'x-ratelimit-scope': 'user' },
    ),
  via: 'both',
};

// ---------- Telegram Bot API sendMessage ----------

const TELEGRAM_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
  'tg-time',
]);
const TELEGRAM_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** The visible text of an HTML-mode message, or the reason Telegram cannot parse it. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  const offset = (i: number) => Buffer.byteLength(html.slice(0, i));
  let out = '';
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) return { error: `Unclosed start tag at byte offset ${offset(i)}` };
      const inner = html.slice(i + 1, end);
      if (inner.startsWith('/')) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (open === undefined) return { error: `Unexpected end tag at byte offset ${offset(i)}` };
        if (open !== name)
          return { error: `Unmatched end tag at byte offset ${offset(i)}, expected "</${open}>", found "</${name}>"` };
      } else {
        const m = /^([a-zA-Z][\w-]*)(\s[\s\S]*)?$/.exec(inner);
        const name = m?.[1]?.toLowerCase() ?? '';
        if (!m || !TELEGRAM_TAGS.has(name))
          return { error: `Unsupported start tag "${name}" at byte offset ${offset(i)}` };
        const attrs = m[2] ?? '';
        if (name === 'a' && !/\bhref\s*=\s*"[^"]*"/.test(attrs))
          return { error: `Can't find href in <a> at byte offset ${offset(i)}` };
        if (name === 'span' && !/class\s*=\s*"tg-spoiler"/.test(attrs))
          return { error: `Tag "span" must have class "tg-spoiler" at byte offset ${offset(i)}` };
        const top = stack[stack.length - 1];
        if ((top === 'code' || top === 'pre') && !(name === 'code' && top === 'pre'))
          return { error: `Entities can't be nested in ${top} (start tag "${name}" at byte offset ${offset(i)})` };
        stack.push(name);
      }
      i = end + 1;
    } else if (ch === '&') {
      const m = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);/.exec(html.slice(i, i + 12));
      if (m && !m[1]!.startsWith('#') && !(m[1]! in TELEGRAM_ENTITIES))
        return { error: `Unsupported HTML entity "&${m[1]};" at byte offset ${offset(i)}` };
      if (m) {
        const name = m[1]!;
        out += name.startsWith('#x')
          ? String.fromCodePoint(parseInt(name.slice(2), 16))
          : name.startsWith('#')
            ? String.fromCodePoint(Number(name.slice(1)))
            : TELEGRAM_ENTITIES[name]!;
        i += m[0].length;
      } else {
        out += ch;
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  if (stack.length > 0) return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { text: out };
}

const tgError = (code: number, description: string, parameters?: Obj): Reply =>
  json(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });

const telegram: Service = {
  check(req) {
    const c = new Checks();
    if (!/^\/bot\d+:[\w-]+\/sendmessage$/i.test(req.path))
      return c.fail(`path ${req.path}`, tgError(404, 'Not Found')).done();
    if (!isJsonType(req))
      return c
        .fail(`content-type ${req.contentType || '(none)'}`, tgError(400, 'Bad Request: message text is empty'))
        .done();
    if (!isObj(req.json))
      return c.fail('body is not a JSON object', tgError(400, 'Bad Request: message text is empty')).done();
    const m = req.json;
    if (!(isStr(m.chat_id) && m.chat_id !== '') && !Number.isInteger(m.chat_id))
      c.fail('chat_id missing', tgError(400, 'Bad Request: chat_id is empty'));
    if (!isStr(m.text) || m.text.trim() === '')
      return c.fail('text missing', tgError(400, 'Bad Request: message text is empty')).done();
    let visible = m.text;
    if (m.parse_mode !== undefined) {
      if (m.parse_mode !== 'HTML')
        return c
          .fail(
            `parse_mode ${String(m.parse_mode)} not checked by this stand-in`,
            tgError(400, `Bad Request: unsupported parse_mode`),
          )
          .done();
      const parsed = parseTelegramHtml(m.text);
      if ('error' in parsed)
        return c.fail(parsed.error, tgError(400, `Bad Request: can't parse entities: ${parsed.error}`)).done();
      visible = parsed.text;
    }
    if (visible.trim() === '')
      c.fail('text empty after entities parsing', tgError(400, 'Bad Request: message text is empty'));
    if (chars(visible) > 4096)
      c.fail(
        `text ${chars(visible)} characters after entities parsing, more than 4096`,
        tgError(400, 'Bad Request: message is too long'),
      );
    if (m.link_preview_options !== undefined && !isObj(m.link_preview_options))
      c.fail(
        'link_preview_options is not an object',
        tgError(400, "Bad Request: can't parse link preview options JSON object"),
      );
    return c.done();
  },
  accepted(req) {
    const m = req.json as Obj;
    const parsed = m.parse_mode === 'HTML' ? parseTelegramHtml(m.text as string) : { text: m.text as string };
    return json(200, {
      ok: true,
      result: {
        message_id: Math.floor(Math.random() * 1e6),
        from: { id: 123456, is_bot: true, first_name: 'swarm-balance', username: 'standin_bot' },
        chat: { id: Number(m.chat_id), type: 'supergroup', title: 'ops' },
        date: Math.floor(Date.now() / 1000),
        text: 'text' in parsed ? parsed.text : '',
      },
    });
  },
  badRequest: tgError(400, 'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0'),
  rateLimited: (s, via) => {
    const body =
      via === 'header'
        ? { ok: false, error_code: 429, description: `Too Many Requests: retry after ${s}` }
        : {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${s}`,
            parameters: { retry_after: s },
          };
    return json(429, body, retryAfter(s, via));
  },
  via: 'body',
};

// ---------- Microsoft Teams Workflows webhook ----------

const teamsError = (code: string, message: string): Reply => json(400, { error: { code, message } });
const schemaMismatch = (detail: string) =>
  teamsError(
    'TriggerInputSchemaMismatch',
    `The input body for trigger 'manual' of type 'Request' did not match its schema definition. Error details: '${detail}'.`,
  );
const CARD_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'];
const ENUMS: Record<string, readonly string[]> = {
  weight: ['Default', 'Lighter', 'Bolder'],
  size: ['Default', 'Small', 'Medium', 'Large', 'ExtraLarge'],
  color: ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'],
  fontType: ['Default', 'Monospace'],
  spacing: ['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding'],
  style: ['default', 'heading'],
};

/** Enumerated properties (weight, size, color, …) hold one of their allowed values. */
function cardEnums(el: Obj, where: string, c: Checks): void {
  for (const [key, allowed] of Object.entries(ENUMS)) {
    if (el[key] === undefined || (el.type === 'Container' && key === 'style')) continue;
    if (!allowed.includes(el[key] as string))
      c.fail(
        `${where}: ${key} ${String(el[key])} is not one of ${allowed.join(', ')}`,
        schemaMismatch(`${where}.${key}`),
      );
  }
}

function cardElement(el: unknown, where: string, c: Checks): void {
  const bad = (why: string) => c.fail(`${where}: ${why}`, schemaMismatch(`${where}: ${why}`));
  if (!isObj(el)) return void bad('not an object');
  cardEnums(el, where, c);
  switch (el.type) {
    case 'TextBlock':
      if (!isStr(el.text)) bad('TextBlock without text');
      break;
    case 'RichTextBlock':
      if (!Array.isArray(el.inlines)) return void bad('RichTextBlock without inlines');
      el.inlines.forEach((r, i) => {
        if (isStr(r)) return;
        if (!isObj(r) || r.type !== 'TextRun' || !isStr(r.text))
          return void bad(`inlines[${i}] is not a TextRun with text`);
        cardEnums(r, `${where}.inlines[${i}]`, c);
      });
      break;
    case 'FactSet':
      if (!Array.isArray(el.facts) || el.facts.some((f) => !isObj(f) || !isStr(f.title) || !isStr(f.value)))
        bad('FactSet facts need title and value strings');
      break;
    case 'Container':
      if (!Array.isArray(el.items)) return void bad('Container without items');
      el.items.forEach((item, i) => cardElement(item, `${where}.items[${i}]`, c));
      break;
    case 'ColumnSet':
      if (!Array.isArray(el.columns)) return void bad('ColumnSet without columns');
      el.columns.forEach((col, i) =>
        isObj(col) && Array.isArray(col.items)
          ? col.items.forEach((item, j) => cardElement(item, `${where}.columns[${i}].items[${j}]`, c))
          : bad(`columns[${i}] without items`),
      );
      break;
    case 'Image':
      if (!isStr(el.url)) bad('Image without url');
      break;
    default:
      bad(`element type ${String(el.type)} not checked by this stand-in`);
  }
}

const teams: Service = {
  check(req) {
    const c = new Checks();
    const notJson = `The input body for trigger 'manual' of type 'Request' must be of type JSON, but was of type '${req.contentType || 'application/octet-stream'}'.`;
    if (!isJsonType(req) || req.json === undefined)
      return c.fail('not a JSON body', teamsError('InvalidRequestContent', notJson)).done();
    const bytes = Buffer.byteLength(req.body);
    if (bytes > 28 * 1024)
      c.fail(
        `${bytes} bytes, more than 28 KB`,
        json(413, { error: { code: 'MessageSizeTooBig', message: 'The message is larger than 28 KB.' } }),
      );
    const m = req.json;
    if (!isObj(m) || m.type !== 'message')
      return c.fail('type is not "message"', schemaMismatch('Invalid type. Expected "message".')).done();
    if (!Array.isArray(m.attachments) || m.attachments.length === 0)
      return c.fail('no attachments', schemaMismatch("Required property 'attachments' not found or empty.")).done();
    m.attachments.forEach((a: unknown, i: number) => {
      const where = `attachments[${i}]`;
      if (!isObj(a) || a.contentType !== 'application/vnd.microsoft.card.adaptive')
        return void c.fail(
          `${where}.contentType is not application/vnd.microsoft.card.adaptive`,
          schemaMismatch(`${where}.contentType`),
        );
      const card = a.content;
      if (!isObj(card) || card.type !== 'AdaptiveCard')
        return void c.fail(
          `${where}.content.type is not AdaptiveCard`,
          teamsError('InvalidBotAdaptiveCard', "Property 'type' must be 'AdaptiveCard'"),
        );
      if (!isStr(card.version) || !CARD_VERSIONS.includes(card.version))
        c.fail(
          `${where}.content.version ${String(card.version)} not one of ${CARD_VERSIONS.join(', ')}`,
          teamsError('InvalidBotAdaptiveCard', "Property 'version' must be a supported version"),
        );
      if (!Array.isArray(card.body))
        return void c.fail(`${where}.content.body is not an array`, schemaMismatch(`${where}.content.body`));
      card.body.forEach((el, j) => cardElement(el, `${where}.content.body[${j}]`, c));
      if (card.actions !== undefined) {
        if (!Array.isArray(card.actions)) c.fail(`${where}.content.actions is not an array`, schemaMismatch('actions'));
        else
          card.actions.forEach((act, j) => {
            if (
              !isObj(act) ||
              ![
                'Action.OpenUrl',
                'Action.Submit',
                'Action.ShowCard',
                'Action.ToggleVisibility',
                'Action.Execute',
              ].includes(act.type as string)
            )
              c.fail(`${where}.content.actions[${j}]: unknown action`, schemaMismatch(`actions[${j}]`));
            else if (act.type === 'Action.OpenUrl' && !(isStr(act.url) && /^https?:\/\//.test(act.url)))
              c.fail(
                `${where}.content.actions[${j}]: Action.OpenUrl without an http(s) url`,
                schemaMismatch(`actions[${j}].url`),
              );
          });
      }
    });
    return c.done();
  },
  accepted: () => ({ status: 202, body: '' }),
  badRequest: schemaMismatch("Required property 'attachments' not found or empty."),
  rateLimited: (s, via) =>
    json(
      429,
      { error: { code: 'WorkflowTriggerIsThrottled', message: `Rate limit is exceeded. Try again in ${s} seconds.` } },
      retryAfter(s, via === 'body' ? 'header' : via),
    ),
  via: 'header',
};

// ---------- Mattermost incoming webhook ----------

const mmError = (status: number, id: string, message: string): Reply =>
  json(status, {
    id,
    message,
    detailed_error: '',
    request_id: randomUUID().replace(/-/g, '').slice(0, 26),
    status_code: status,
  });
const MM_COLOR = /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|good|warning|danger)$/;

const mattermost: Service = {
  check(req) {
    const c = new Checks();
    if (!/^\/hooks\/[\w-]+$/.test(req.path))
      return c
        .fail(`path ${req.path}`, mmError(404, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.'))
        .done();
    if (!isJsonType(req) || !isObj(req.json))
      return c
        .fail(
          'not a JSON object body',
          mmError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data'),
        )
        .done();
    const m = req.json;
    const attachments = m.attachments === undefined ? [] : m.attachments;
    if (!Array.isArray(attachments))
      return c
        .fail(
          'attachments is not an array',
          mmError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data'),
        )
        .done();
    if (!(isStr(m.text) && m.text.trim() !== '') && attachments.length === 0)
      return c
        .fail('no text and no attachments', mmError(400, 'web.incoming_webhook.text.app_error', 'No text specified'))
        .done();
    if (isStr(m.text) && chars(m.text) > 16383)
      c.fail(
        `text ${chars(m.text)} runes, more than 16383`,
        mmError(400, 'web.incoming_webhook.text.length.app_error', 'Text too long'),
      );
    attachments.forEach((a: unknown, i: number) => {
      const bad = (why: string) =>
        c.fail(
          `attachments[${i}]: ${why}`,
          mmError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data'),
        );
      if (!isObj(a)) return void bad('not an object');
      for (const key of ['fallback', 'title', 'title_link', 'text', 'pretext', 'footer'])
        if (a[key] !== undefined && !isStr(a[key])) bad(`${key} is not a string`);
      if (a.color !== undefined && !(isStr(a.color) && MM_COLOR.test(a.color))) bad(`color ${String(a.color)}`);
      if (
        a.fields !== undefined &&
        (!Array.isArray(a.fields) ||
          a.fields.some(
            (f) =>
              !isObj(f) ||
              !isStr(f.title) ||
              f.value === undefined ||
              (f.short !== undefined && typeof f.short !== 'boolean'),
          ))
      )
        bad('fields need title, value and a boolean short');
    });
    return c.done();
  },
  accepted: () => text(200, 'ok'),
  badRequest: mmError(400, 'web.incoming_webhook.text.app_error', 'No text specified'),
  rateLimited: (s, via) =>
    text(429, 'limit exceeded\n', {
      ...retryAfter(s, via === 'body' ? 'header' : via),
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '0',
    }),
  via: 'header',
};

// ---------- generic webhook (docs/webhook-schema.md) ----------

const webhook: Service = {
  check(req) {
    const c = new Checks();
    const bad = (why: string) => json(400, { error: why });
    if (!isJsonType(req) || !isObj(req.json))
      return c.fail('not a JSON object body', bad('expected a JSON object')).done();
    const m = req.json;
    if (!isStr(m.schema) || !/^swarm-balance\.[a-z]+\/v\d+$/.test(m.schema))
      return c.fail(`schema ${String(m.schema)}`, bad('unknown schema')).done();
    if (m.schema === 'swarm-balance.alert/v1') {
      const need: [string, (v: unknown) => boolean][] = [
        ['kind', (v) => ['firing', 'repeat', 'resolved', 'test'].includes(v as string)],
        ['test', (v) => typeof v === 'boolean'],
        ['id', isStr],
        ['at', (v) => isStr(v) && Number.isFinite(Date.parse(v))],
        ['startedAt', (v) => isStr(v) && Number.isFinite(Date.parse(v))],
        ['endedAt', (v) => v === null || (isStr(v) && Number.isFinite(Date.parse(v)))],
        ['durationSeconds', Number.isInteger],
        ['duration', isStr],
        ['summary', isStr],
        [
          'service',
          (v) =>
            isObj(v) && isStr(v.id) && isStr(v.name) && isStr(v.stack) && isStr(v.endpointMode) && isObj(v.replicas),
        ],
        ['detection', isObj],
        ['replicas', Array.isArray],
        ['advice', (v) => isObj(v) && isStr(v.cause) && isStr(v.fix)],
      ];
      for (const [key, ok] of need)
        if (!ok(m[key])) c.fail(`${key}: missing or of the wrong type`, bad(`field ${key} is missing or invalid`));
      if ((m.kind === 'resolved') !== (m.endedAt !== null))
        c.fail('endedAt must be set exactly for resolved', bad('endedAt'));
    }
    return c.done();
  },
  accepted: () => ({ status: 204, body: '' }),
  badRequest: json(400, { error: 'field kind is missing or invalid' }),
  rateLimited: (s, via) =>
    json(429, { error: 'slow down', ...(via === 'header' ? {} : { retry_after: s }) }, retryAfter(s, via)),
  via: 'header',
};

// ---------- Alertmanager API v2 ----------

const amString = (status: number, message: string): Reply => json(status, message);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const alertmanager: Service = {
  check(req) {
    const c = new Checks();
    if (req.path !== '/api/v2/alerts') return c.fail(`path ${req.path}`, text(404, '404 page not found')).done();
    if (!isJsonType(req))
      return c
        .fail(
          `content-type ${req.contentType}`,
          json(415, {
            code: 415,
            message: `unsupported media type "${req.contentType}", only [application/json] are allowed`,
          }),
        )
        .done();
    if (!Array.isArray(req.json))
      return c
        .fail(
          'body is not a JSON array',
          json(400, {
            code: 400,
            message: 'parsing alerts body from "" failed, because the body is not an array of postableAlert',
          }),
        )
        .done();
    req.json.forEach((a: unknown, i: number) => {
      if (!isObj(a) || !isObj(a.labels) || Object.keys(a.labels).length === 0)
        return void c.fail(`[${i}]: no labels`, amString(400, 'at least one label pair required'));
      for (const [name, value] of Object.entries(a.labels)) {
        if (!LABEL_NAME.test(name))
          c.fail(`[${i}]: label name ${name}`, amString(400, `invalid label set: invalid name "${name}"`));
        if (!isStr(value) || value === '')
          c.fail(`[${i}]: label ${name} has no value`, amString(400, `invalid label set: invalid value for "${name}"`));
      }
      if (!isStr(a.labels.alertname))
        c.fail(
          `[${i}]: no alertname label (routing and grouping need it)`,
          amString(400, 'at least one label pair required'),
        );
      if (a.annotations !== undefined && !(isObj(a.annotations) && Object.values(a.annotations).every(isStr)))
        c.fail(`[${i}]: annotations must map to strings`, amString(400, 'invalid annotations'));
      for (const key of ['startsAt', 'endsAt'])
        if (a[key] !== undefined && !(isStr(a[key]) && RFC3339.test(a[key] as string)))
          c.fail(
            `[${i}].${key}: not RFC 3339`,
            json(400, { code: 602, message: `${key} in body must be of type date-time` }),
          );
      if (isStr(a.startsAt) && isStr(a.endsAt) && Date.parse(a.startsAt) > Date.parse(a.endsAt))
        c.fail(`[${i}]: startsAt after endsAt`, amString(400, 'start time must be before end time'));
      if (a.generatorURL !== undefined && !(isStr(a.generatorURL) && /^https?:\/\//.test(a.generatorURL)))
        c.fail(
          `[${i}].generatorURL: not a URI`,
          json(400, { code: 602, message: 'generatorURL in body must be of type uri' }),
        );
    });
    return c.done();
  },
  accepted: () => ({ status: 200, body: '' }),
  badRequest: amString(400, 'at least one label pair required'),
  rateLimited: (s, via) => text(429, 'too many requests', retryAfter(s, via === 'body' ? 'header' : via)),
  via: 'header',
};

const SERVICES: Record<StandinKind, Service> = { slack, teams, discord, mattermost, telegram, webhook, alertmanager };

// ---------- the server ----------

function describeAnswer(a: Answer): string {
  return typeof a === 'string' ? a : `rate-limit ${a.rateLimitSeconds}s via ${a.via ?? 'default'}`;
}

/** Starts one stand-in on 127.0.0.1 with an OS-chosen port. */
export async function startStandin(kind: StandinKind, script: Script = []): Promise<Standin> {
  const service = SERVICES[kind];
  const requests: SeenRequest[] = [];
  let current: Script = script;
  let scriptStart = 0;

  const answerFor = (req: SeenRequest): Answer => {
    const index = requests.length - 1 - scriptStart;
    return typeof current === 'function' ? current(index, req) : (current[index] ?? 'normal');
  };

  const send = (res: ServerResponse, seen: SeenRequest, reply: Reply) => {
    seen.status = reply.status;
    seen.answeredAt = Date.now();
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const incoming: Incoming = {
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'] ?? '',
      body,
      json: parsed,
    };
    const { problems, reply: refusal } =
      req.method === 'POST'
        ? service.check(incoming)
        : { problems: [`method ${req.method}`], reply: text(405, 'method not allowed') };
    const seen: SeenRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: req.headers,
      body,
      json: parsed,
      verdict: { ok: problems.length === 0, problems },
      answer: '',
      status: null,
      answeredAt: null,
      abandoned: false,
    };
    requests.push(seen);
    const answer = answerFor(seen);
    seen.answer = describeAnswer(answer);
    res.on('close', () => {
      if (!res.writableFinished) seen.abandoned = true;
    });
    if (answer === 'hang') return;
    if (answer === 'server-error') return send(res, seen, text(500, 'Internal Server Error'));
    if (answer === 'bad-request') return send(res, seen, service.badRequest);
    if (typeof answer === 'object')
      return send(res, seen, service.rateLimited(answer.rateLimitSeconds, answer.via ?? service.via));
    send(res, seen, refusal ?? service.accepted(incoming));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    requests,
    badRequestBody: service.badRequest.body,
    setScript(next) {
      current = next;
      scriptStart = requests.length;
    },
    down: stop,
    up: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
