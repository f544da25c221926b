/**
 * Access tokens of a closed relay. Tokens are held only as SHA-256 digests
 * and compared in constant time, so neither memory dumps nor timing reveal
 * them; they are never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

export class AccessTokens {
  private readonly digests: Buffer[];

  constructor(tokens: string[]) {
    this.digests = tokens.map(digest);
  }

  static fromFile(path: string): string[] {
    return readFileSync(path, "utf8")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith("#"));
  }

  allows(token: string): boolean {
    const candidate = digest(token);
    let ok = false;
    // Check all, so the time taken does not tell which token matched.
    for (const d of this.digests) ok = timingSafeEqual(candidate, d) || ok;
    return ok;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
