import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AthenaError } from '@athena/common';
import { HttpErrors } from './errors';

/**
 * The one limit on the shape of caller JSON, checked on the text before it is parsed — so no recursive code
 * (parser prototype scan, validation pipe, cache-key builder, pg serialization) ever sees a deeper document.
 */
export const MAX_JSON_DEPTH = 64;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Iterative scan of JSON text: nesting depth (objects + arrays) and NUL characters (`\u0000` escapes; a raw
 * NUL cannot appear in valid JSON). Returns the refusal, or null. Strings are skipped with their escapes, so
 * brackets inside strings do not count.
 */
export function checkJsonText(text: string, maxDepth = MAX_JSON_DEPTH): AthenaError | null {
  const mayHaveNul = text.includes('\\u0000');
  if (!mayHaveNul && text.length <= 2 * maxDepth) return null; // too short to nest deeper than the limit
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x22) break;
        if (s === 0x5c) {
          if (mayHaveNul && text.charCodeAt(i + 1) === 0x75 && text.startsWith('0000', i + 2)) return nulError();
          i++;
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        return HttpErrors.jsonTooDeep(
          'JSON body nested too deeply',
          `The body nests objects/arrays deeper than ${maxDepth} levels; flatten the document`,
        );
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return null;
}

export function nulError(where = 'the body'): AthenaError {
  return HttpErrors.nulCharacter(
    'NUL character not accepted',
    `${where} contains a NUL character (\\u0000), which databases cannot store in text; remove it`,
  );
}

/**
 * Checks every request before routing: TRACE/TRACK are never served (405 in the envelope, not a 404); a NUL
 * reaches a path or query parameter only as `%00` (raw NUL bytes never pass the HTTP parser).
 */
export function checkRequestLine(method: string, url: string): AthenaError | null {
  if (method === 'TRACE' || method === 'TRACK') {
    return HttpErrors.methodNotAllowed('Method not allowed', `${method} is not supported by any route`, undefined, {
      Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    });
  }
  return url.includes('%00') ? nulError('the URL') : null;
}

/**
 * JSON bodies: Fastify's secure parser (prototype-poisoning protection) behind our own checks, each failure a
 * typed error that reaches the exception filter: compressed bodies (`Content-Encoding`) → 415, invalid UTF-8 →
 * 400 `invalid_utf8`, too deep / NUL → 400, unparsable → 400 `invalid_json`. An empty body is no body (e.g. a
 * DELETE sent with the JSON content type). Other media types → 415.
 */
export function installJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const secureParse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (req: FastifyRequest, raw: Buffer, done) => {
      const encoding = req.headers['content-encoding'];
      if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
        done(
          HttpErrors.unsupportedContentEncoding(
            'Unsupported Content-Encoding',
            `Bodies are accepted uncompressed only; Content-Encoding "${encoding.slice(0, 40)}" is not supported`,
          ),
          undefined,
        );
        return;
      }
      let text: string;
      try {
        text = UTF8.decode(raw);
      } catch {
        done(
          HttpErrors.invalidUtf8(
            'Body is not valid UTF-8',
            'The body contains bytes that are not valid UTF-8; send JSON encoded as UTF-8',
          ),
          undefined,
        );
        return;
      }
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      const refused = checkJsonText(text);
      if (refused) {
        done(refused, undefined);
        return;
      }
      secureParse(req, text, (err, value) => {
        if (err)
          done(HttpErrors.invalidJson('Malformed JSON body', `The body is not valid JSON: ${err.message}`), undefined);
        else done(null, value);
      });
    },
  );
}
