import { Injectable } from '@nestjs/common';

/**
 * The time source of the auth caches (key cache TTL, enforcement snapshot TTL). One injectable so a test can
 * hold time still instead of racing a TTL against the machine's speed.
 */
@Injectable()
export class AuthClock {
  now(): number {
    return Date.now();
  }
}
