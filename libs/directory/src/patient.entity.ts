import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Sex } from './directory-terms';

/**
 * FHIR Patient, registered by a township health centre. The national ID is kept twice and
 * never in clear: an HMAC to match on, and AES-GCM ciphertext for an entitled reader.
 */
@Entity('patient')
export class Patient {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('text') name: string;
  @Column('text') sex: Sex;
  @Column('date', { name: 'birth_date' }) birthDate: string;
  @Column('bytea', { name: 'national_id_hmac', nullable: true, select: false })
  nationalIdHmac: Buffer | null;
  @Column('bytea', { name: 'national_id_cipher', nullable: true, select: false })
  nationalIdCipher: Buffer | null;
  @Column('text', { nullable: true }) phone: string | null;
  @Column('text', { nullable: true }) address: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
