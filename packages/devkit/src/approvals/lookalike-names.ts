import unhomoglyph from 'unhomoglyph';
import { HIDDEN_CHARACTER } from './displayed-text.js';
import type { ApprovalView, DevApprover, LookalikeName } from './types.js';

const HIDDEN_EVERYWHERE = new RegExp(HIDDEN_CHARACTER.source, 'gu');
const PLAIN_LATIN = /^[A-Za-z0-9]+$/;
/** Names shorter than this are not compared: "ab" and "аb" would flag every short code. */
const SHORTEST_COMPARED_NAME = 3;

/**
 * The UTS #39 skeleton of `text`: two strings with the same skeleton look alike to a reader.
 * Decomposed (NFD), stripped of invisible characters (they are flagged on their own), each
 * character mapped to its prototype in Unicode's confusables data (through `unhomoglyph`, which
 * ships that table), decomposed again.
 *
 * @see https://www.unicode.org/reports/tr39/#Confusable_Detection
 */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD').replace(HIDDEN_EVERYWHERE, '')).normalize('NFD');
}

/**
 * The characters of `text` that are not ASCII but read as Latin letters or digits (Cyrillic `а`
 * for `a`, Greek `Ο` for `O`, fullwidth `Ａ`...), as `U+0430 looks like "a"`. Accented Latin
 * letters are not among them: their skeleton keeps the accent.
 */
export function latinLookalikes(text: string): string[] {
  const found = new Set<string>();
  for (const character of text) {
    if (character.codePointAt(0)! < 0x80) continue;
    const prototype = skeleton(character);
    if (PLAIN_LATIN.test(prototype)) found.add(`U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} looks like "${prototype}"`);
  }
  return [...found];
}

/**
 * Every string of an argument tree with its path, named as the inbox names rows: `recipient`,
 * `routing.bank`, `items[0]`.
 */
export function stringArguments(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[path || '(arguments)', value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringArguments(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([name, item]) => stringArguments(item, path ? `${path}.${name}` : name));
  }
  return [];
}

/**
 * Flags the names in `view`'s arguments an approver could mistake for others:
 *
 * - a value holding characters confusable with Latin letters ({@link latinLookalikes});
 * - a value whose {@link skeleton} equals that of a different known name: another argument of this
 *   or any other request the inbox holds, an agent id, an approver's id or name. `Mаllory Ltd`
 *   (Cyrillic `а`) beside a known `Mallory Ltd` is flagged as looking like it.
 */
export function lookalikeNames(view: ApprovalView, knownNames: ReadonlyMap<string, string>): LookalikeName[] {
  const flags: LookalikeName[] = [];
  for (const [path, value] of stringArguments(view.args)) {
    const characters = latinLookalikes(value);
    const own = skeleton(value);
    const resembles =
      [...value].length < SHORTEST_COMPARED_NAME ? undefined : [...knownNames].find(([name, nameSkeleton]) => nameSkeleton === own && name !== value)?.[0];
    if (characters.length > 0 || resembles !== undefined) {
      const flag: LookalikeName = { path, characters };
      if (resembles !== undefined) flag.resembles = resembles;
      flags.push(flag);
    }
  }
  return flags;
}

/**
 * The names an inbox knows, each with its skeleton: every string argument and summary member of
 * `views`, their agents, and the approvers' ids and names.
 */
export function knownNames(views: readonly ApprovalView[], approvers: readonly DevApprover[]): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string) => {
    if ([...name].length >= SHORTEST_COMPARED_NAME && !names.has(name)) names.set(name, skeleton(name));
  };
  for (const view of views) {
    add(view.clientId);
    for (const [, value] of stringArguments(view.args)) add(value);
    for (const [, value] of stringArguments(view.summary)) add(value);
  }
  for (const approver of approvers) {
    add(approver.id);
    add(approver.name);
  }
  return names;
}

/** `views`, each with its {@link lookalikeNames} (against every name `context` holds) as `lookalikes`. */
export function withLookalikes(views: readonly ApprovalView[], context: readonly ApprovalView[], approvers: readonly DevApprover[]): ApprovalView[] {
  const names = knownNames(context, approvers);
  return views.map((view) => ({ ...view, lookalikes: lookalikeNames(view, names) }));
}
