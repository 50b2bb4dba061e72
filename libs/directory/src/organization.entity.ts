import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { OrganizationLevel } from './directory-terms';

/** FHIR Organization: a hub, hospital, health centre or clinic. */
@Entity('organization')
export class Organization {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') level: OrganizationLevel;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId: string | null;
  @Column('char', { name: 'region_code', length: 6 }) regionCode: string;
  @Column('boolean', { default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
