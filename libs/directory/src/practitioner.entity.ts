import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Role, Title } from './directory-terms';

/** FHIR Practitioner (+ PractitionerRole folded in): a user of the platform. */
@Entity('practitioner')
export class Practitioner {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') username: string;
  @Column('text', { name: 'display_name' }) displayName: string;
  /** Never read but by the login (DirectoryStore.practitionerForLogin): absent elsewhere. */
  @Column('text', { name: 'password_hash', select: false }) passwordHash?: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('text', { array: true }) roles: Role[];
  @Column('text', { nullable: true }) specialty: string | null;
  @Column('text', { nullable: true }) title: Title | null;
  @Column('boolean', { default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
