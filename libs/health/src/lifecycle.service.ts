import { Injectable } from '@nestjs/common';

/** Process-level serving state: flipped to draining on SIGTERM/SIGINT so `/ready` answers 503. */
@Injectable()
export class LifecycleService {
  private draining = false;
  private listening = false;

  get isDraining(): boolean {
    return this.draining;
  }

  get isListening(): boolean {
    return this.listening;
  }

  markListening(): void {
    this.listening = true;
  }

  startDraining(): void {
    this.draining = true;
  }
}
