import { Body, Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { Request } from 'express';
import { DirectoryService, ORGANIZATION_LEVEL_ZH, SPECIALTIES, TITLE_ZH } from '@huizhen/directory';
import {
  ORGANIZATION_LEVELS,
  PRACTITIONER_TITLES,
  ROLES,
  type Credentials,
  type LogoutInput,
  type OrganizationLevel,
  type PractitionerTitle,
  type Profile,
  type RefreshInput,
  type Role,
  type TokenPair,
} from '@huizhen/contract';
import { Documented, Public } from '@huizhen/platform-http';
import { ACTOR_KEY, CurrentActor, type Actor } from './actor';
import { AuthService } from './auth.service';

class LoginDto implements Credentials {
  @ApiProperty({ example: 'demo-township' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;
  @ApiProperty({ example: 'Huizhen-demo-1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}

class RefreshDto implements RefreshInput {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(256) refreshToken: string;
}

class LogoutDto implements LogoutInput {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) refreshToken?: string;
}

/** What logging in and refreshing answer (the contract's TokenPair). */
class TokenPairView implements TokenPair {
  @ApiProperty() accessToken: string;
  @ApiProperty() refreshToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ description: 'access token lifetime in seconds' }) expiresIn: number;
}

/** The signed-in practitioner (the contract's Profile). */
class ProfileView implements Profile {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: Role[];
  @ApiProperty({ nullable: true, type: String }) specialty: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the specialty in Chinese (科室)' })
  specialtyName: string | null;
  @ApiProperty({ enum: PRACTITIONER_TITLES, nullable: true }) title: PractitionerTitle | null;
  @ApiProperty({ nullable: true, type: String }) titleName: string | null;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty({ enum: ORGANIZATION_LEVELS }) organizationLevel: OrganizationLevel;
  @ApiProperty() organizationLevelName: string;
}

function client(req: Request) {
  return { ip: req.ip ?? 'unknown', userAgent: req.header('user-agent') };
}

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly directory: DirectoryService,
  ) {}

  @Public()
  @Documented(
    'Log in: an access token and a refresh token',
    'invalid_credentials',
    'login_rate_limited',
  )
  @Post('auth/login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: TokenPairView })
  login(@Body() body: LoginDto, @Req() req: Request): Promise<TokenPair> {
    return this.auth.login(body.username, body.password, client(req));
  }

  @Public()
  @Documented(
    'Trade a refresh token for a new pair (rotation; reuse ends the family)',
    'invalid_refresh_token',
  )
  @Post('auth/refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: TokenPairView })
  refresh(@Body() body: RefreshDto, @Req() req: Request): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, client(req));
  }

  /** Works with an expired access token too: the refresh token alone is enough to end its family. */
  @Public()
  @Documented('Log out: end the session of this refresh (or access) token')
  @ApiNoContentResponse({ description: 'logged out' })
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Body() body: LogoutDto, @Req() req: Request) {
    const header = req.header('authorization');
    (req as any)[ACTOR_KEY] = await this.auth.logout(
      body.refreshToken,
      header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined,
    );
  }

  @ApiBearerAuth()
  @Documented('The signed-in practitioner’s profile')
  @ApiOkResponse({ type: ProfileView })
  @Get('me')
  async me(@CurrentActor() actor: Actor): Promise<Profile> {
    const [p, org] = await Promise.all([
      this.directory.practitioner(actor.id),
      this.directory.organization(actor.organizationId),
    ]);
    return {
      id: p.id,
      username: p.username,
      displayName: p.displayName,
      roles: p.roles,
      specialty: p.specialty,
      specialtyName: p.specialty
        ? ((SPECIALTIES as Record<string, string>)[p.specialty] ?? p.specialty)
        : null,
      title: p.title,
      titleName: p.title ? TITLE_ZH[p.title] : null,
      organizationId: org.id,
      organizationName: org.name,
      organizationLevel: org.level,
      organizationLevelName: ORGANIZATION_LEVEL_ZH[org.level],
    };
  }
}
