import { hash, verify } from '@node-rs/argon2';

/** argon2id with the library's defaults (about 90 ms here): slow on purpose. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function checkPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
