import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { StoreModule } from '@athena/store';
import { AuthClock } from './auth-clock';
import { AuthLogWriter } from './auth-log-writer';
import { AuthAudit } from './auth-audit';
import { AuthMetrics } from './auth-metrics';
import { AuthenticationService } from './authentication.service';
import { AuthorizationService } from './authorization.service';
import { AuthGuard } from './auth.guard';
import { EnforcementService } from './enforcement.service';
import { KeyCache } from './key-cache';

/** Admin key + API key enforcement for every route (one global guard, policies by decorator or path). */
@Module({
  imports: [StoreModule],
  providers: [
    AuthClock,
    AuthMetrics,
    AuthLogWriter,
    KeyCache,
    EnforcementService,
    AuthAudit,
    AuthenticationService,
    AuthorizationService,
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [
    AuthClock,
    AuthMetrics,
    AuthLogWriter,
    KeyCache,
    EnforcementService,
    AuthenticationService,
    AuthorizationService,
  ],
})
export class AuthModule {}
