import { applyDecorators } from '@nestjs/common';
import {
  ApiInternalServerErrorResponse,
  ApiProperty,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminOnly } from './auth.decorators';

/** Error envelope of the admin routes (Swagger). */
export class AdminErrorDto {
  @ApiProperty({ example: 'error' }) status: string;
  @ApiProperty({ example: 'unknown_rights' }) code: string;
  @ApiProperty({ example: 'Unknown rights' }) message: string;
  @ApiProperty({ example: 'These rights do not exist: users.read; create them with POST /admin/api-key-rights first' })
  error: string;
}

/** Base of the success envelopes (Swagger): subclasses add a typed `data`. */
export class EnvelopeDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty() message: string;
}

/** Swagger for every admin route: admin-key security and the shared failure answers. */
export function AdminDocs(): ClassDecorator {
  return (target) => {
    ApiSecurity('adminKey')(target);
    ApiUnauthorizedResponse({ type: AdminErrorDto, description: 'Missing or wrong admin key (invalid_admin_key)' })(
      target,
    );
    ApiInternalServerErrorResponse({
      type: AdminErrorDto,
      description: 'ATHENA_KEY_12 not set (admin_key_not_configured)',
    })(target);
    ApiServiceUnavailableResponse({
      type: AdminErrorDto,
      description: 'Control-plane database unavailable (Retry-After set)',
    })(target);
  };
}

/** An admin controller: static admin key (`ATHENA_KEY_12`) plus its Swagger tag, security scheme and failures. */
export function AdminController(tag: string): ClassDecorator {
  return applyDecorators(ApiTags(tag), AdminDocs(), AdminOnly() as ClassDecorator);
}
