import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { NationalIdVault, type Page } from '@huizhen/directory';
import { readResidentId, type Patient, type WithDates } from '@huizhen/contract';
import type { RegisteredPatient } from '@huizhen/dicom';
import type { Db } from '@huizhen/database';
import { DomainError } from '@huizhen/platform-http';
import type { PatientQuery, RegisterPatientDto, UpdatePatientDto } from './patient.dto';
import { PatientStore, type PatientChanges, type PatientRecord } from './patient-store';

/** A patient as the routes answer it: the contract's Patient, its time a Date. */
export type PatientView = WithDates<Patient, 'createdAt'>;

/**
 * Patients registered by health centres. Every read is PHI: checked and audited. The national
 * ID goes through the vault here (fingerprint, seal, open); PatientStore holds the rows.
 */
@Injectable()
export class PatientsService {
  private readonly vault: NationalIdVault;

  constructor(
    private readonly store: PatientStore,
    @Inject(HUIZHEN_CONFIG) config: HuizhenConfig,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly terms: AuditTerms,
  ) {
    this.vault = new NationalIdVault(config.dataEncryptionKey);
  }

  async register(actor: Actor, dto: RegisterPatientDto): Promise<PatientView> {
    await this.policy.assert(actor, 'create', {
      type: 'patient',
      organizationId: actor.organizationId,
    });
    const { sex, birthDate } = this.factsOf(dto);
    return this.store.transaction(async (m) => {
      const fingerprint = dto.nationalId ? this.vault.fingerprint(dto.nationalId) : null;
      if (fingerprint) {
        const existing = await this.store.registeredWith(m, actor.organizationId, fingerprint);
        if (existing) {
          throw new DomainError(
            'patient_exists',
            HttpStatus.CONFLICT,
            'a patient with this national ID is already registered here',
            { patientId: existing },
          );
        }
      }
      const p = await this.store.insert(m, {
        organizationId: actor.organizationId,
        name: dto.name,
        sex,
        birthDate,
        nationalIdHmac: fingerprint,
        nationalIdCipher: dto.nationalId ? this.vault.seal(dto.nationalId) : null,
        phone: dto.phone ?? null,
        address: dto.address ?? null,
      });
      await this.audit.record(
        { action: 'patient.create', actor, resourceType: 'patient', resourceId: p.id },
        m,
      );
      return this.view(p, dto.nationalId ?? null);
    });
  }

  async get(actor: Actor, id: string): Promise<PatientView> {
    const p = await this.load(id);
    await this.policy.assert(actor, 'read', {
      type: 'patient',
      id,
      organizationId: p.organizationId,
    });
    await this.audit.record({
      action: 'patient.read',
      actor,
      resourceType: 'patient',
      resourceId: id,
    });
    return this.view(p, p.nationalIdCipher ? this.vault.open(p.nationalIdCipher) : null);
  }

  async update(actor: Actor, id: string, dto: UpdatePatientDto): Promise<PatientView> {
    const current = await this.load(id);
    await this.policy.assert(actor, 'update', {
      type: 'patient',
      id,
      organizationId: current.organizationId,
    });
    this.checkNationalId(dto.nationalId, dto.birthDate ?? current.birthDate);
    return this.store.transaction(async (m) => {
      const { nationalId, ...rest } = dto;
      const patch: PatientChanges = { ...rest };
      if (nationalId !== undefined) {
        patch.nationalIdHmac = this.vault.fingerprint(nationalId);
        patch.nationalIdCipher = this.vault.seal(nationalId);
      }
      await this.store.update(m, id, patch).catch((e) => {
        if (e.code === '23505')
          throw new DomainError(
            'patient_exists',
            HttpStatus.CONFLICT,
            'another patient here has this national ID',
          );
        throw e;
      });
      await this.audit.record(
        {
          action: 'patient.update',
          actor,
          resourceType: 'patient',
          resourceId: id,
          details: { changed: Object.keys(dto) },
        },
        m,
      );
      const p = await this.load(id, m);
      return this.view(p, p.nationalIdCipher ? this.vault.open(p.nationalIdCipher) : null);
    });
  }

  /** Patients the actor's organization(s) registered, by fuzzy name or exact national ID. */
  async search(actor: Actor, q: PatientQuery): Promise<Page<PatientView>> {
    if (!hasRole(actor, 'township_doctor', 'specialist', 'hub_coordinator')) {
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'not allowed to read patients: admins do not read patient data',
      );
    }
    const scope = await this.policy.organizationScope(actor);
    const { items: rows, total } = await this.store.search({
      organizationIds: scope.organizationIds,
      ...(q.q ? { name: q.q } : {}),
      ...(q.nationalId ? { nationalIdHmac: this.vault.fingerprint(q.nationalId) } : {}),
      limit: q.limit,
      offset: q.offset,
    });
    // The search term is PHI (a name): the trail keeps its keyed hash, never the text (AuditTerms).
    await this.audit.record({
      action: 'patient.search',
      actor,
      resourceType: 'patient',
      details: {
        qDigest: this.terms.digest(q.q),
        byNationalId: !!q.nationalId,
        nationalIdDigest: this.terms.digest(q.nationalId),
        returned: rows.map((r) => r.id),
      },
    });
    return {
      items: rows.map((p) =>
        this.view(p, p.nationalIdCipher ? this.vault.open(p.nationalIdCipher) : null),
      ),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /** For other features: the patient's owning organization, for their access checks (no PHI). */
  async owner(id: string): Promise<{ id: string; organizationId: string }> {
    const owner = await this.store.owner(id);
    if (!owner)
      throw new DomainError(
        'patient_not_found',
        HttpStatus.NOT_FOUND,
        `patient ${id} does not exist`,
      );
    return owner;
  }

  /**
   * For the image check at the door (consultations): the patient as compareDicomPatient reads
   * them, national ID opened. No policy check or audit here: the caller has checked its right to
   * change the consultation this patient belongs to and audits the attach with the comparison.
   */
  async registeredForImageCheck(id: string): Promise<RegisteredPatient> {
    const p = await this.load(id);
    return {
      name: p.name,
      sex: p.sex,
      birthDate: p.birthDate,
      nationalId: p.nationalIdCipher ? this.vault.open(p.nationalIdCipher) : null,
    };
  }

  private async load(id: string, m?: Db): Promise<PatientRecord> {
    const p = await this.store.find(id, m);
    if (!p)
      throw new DomainError(
        'patient_not_found',
        HttpStatus.NOT_FOUND,
        `patient ${id} does not exist`,
      );
    return p;
  }

  /**
   * Sex and birth date as given, or read from the national ID when left out (GB 11643 holds
   * both): a township clerk types the ID once. A given birth date must agree with the ID.
   */
  private factsOf(dto: RegisterPatientDto): Pick<PatientRecord, 'sex' | 'birthDate'> {
    const fromId = this.checkNationalId(dto.nationalId, dto.birthDate);
    const sex = dto.sex ?? fromId?.sex;
    const birthDate = dto.birthDate ?? fromId?.birthDate;
    if (!sex || !birthDate)
      throw new DomainError(
        'patient_facts_required',
        HttpStatus.BAD_REQUEST,
        'sex and birthDate are required unless a valid nationalId gives them',
        { missing: [...(sex ? [] : ['sex']), ...(birthDate ? [] : ['birthDate'])] },
      );
    return { sex, birthDate };
  }

  private checkNationalId(id: string | undefined, birthDate: string | undefined) {
    if (!id) return null;
    const facts = readResidentId(id);
    if (!facts)
      throw new DomainError(
        'invalid_national_id',
        HttpStatus.BAD_REQUEST,
        'nationalId fails the GB 11643 checksum or has an impossible birth date',
      );
    if (birthDate && id.slice(6, 14) !== birthDate.replaceAll('-', '')) {
      throw new DomainError(
        'national_id_birth_date',
        HttpStatus.BAD_REQUEST,
        `nationalId says born ${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)} but birthDate is ${birthDate}`,
      );
    }
    return facts;
  }

  private view(p: PatientRecord, nationalId: string | null): PatientView {
    return {
      id: p.id,
      organizationId: p.organizationId,
      name: p.name,
      sex: p.sex,
      birthDate: p.birthDate,
      nationalIdMasked: nationalId ? NationalIdVault.mask(nationalId) : null,
      phone: p.phone,
      address: p.address,
      createdAt: p.createdAt,
    };
  }
}
