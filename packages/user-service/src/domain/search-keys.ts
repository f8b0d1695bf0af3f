/** Characters that end a word inside a name: white space and ASCII punctuation. */
const wordBoundary = /[\s!-/:-@[-`{-~]/;

/**
 * The keys free-text search looks up by prefix, stored on each user (a
 * multikey index): the lower-cased username and email, and the lower-cased
 * name from its start and from the start of each later word. A text then
 * matches "username, email, name or a word of the name starts with it" by
 * one index range, and the whole key is kept, so the range is the answer.
 */
export function searchKeysOf(user: { usernameKey?: string; emailKey?: string; nameKey?: string }): string[] {
  const keys = new Set<string>();
  if (user.usernameKey !== undefined) keys.add(user.usernameKey);
  if (user.emailKey !== undefined) keys.add(user.emailKey);
  const name = user.nameKey;
  if (name !== undefined) {
    for (let i = 0; i < name.length; i++)
      if (i === 0 || wordBoundary.test(name[i - 1] as string)) keys.add(name.slice(i));
  }
  return [...keys];
}
