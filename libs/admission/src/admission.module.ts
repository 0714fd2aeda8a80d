import { Module } from '@nestjs/common';
import { AdmissionHttpEdge } from './admission.http';
import { AdmissionService } from './admission.service';

/** Admission control (global + per-client budgets per window, shared through Redis) and its HTTP hook. */
@Module({ providers: [AdmissionService, AdmissionHttpEdge], exports: [AdmissionService] })
export class AdmissionModule {}
