import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ConsortiumKind } from './directory-terms';

/** A medical consortium (医联体): organizations that refer to and consult each other. */
@Entity('consortium')
export class Consortium {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') kind: ConsortiumKind;
  @Column('uuid', { name: 'lead_organization_id' }) leadOrganizationId: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('consortium_member')
export class ConsortiumMember {
  @PrimaryColumn('uuid', { name: 'consortium_id' }) consortiumId: string;
  @PrimaryColumn('uuid', { name: 'organization_id' }) organizationId: string;
  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' }) joinedAt: Date;
}
