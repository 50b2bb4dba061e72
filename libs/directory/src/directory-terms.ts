/** The words of the directory (DESIGN.md), with their Chinese names for the client and reports. */

export const ORGANIZATION_LEVELS = [
  'province_hub',
  'city_hospital',
  'county_hospital',
  'township_health_centre',
  'village_clinic',
] as const;
export type OrganizationLevel = (typeof ORGANIZATION_LEVELS)[number];
export const ORGANIZATION_LEVEL_ZH: Record<OrganizationLevel, string> = {
  province_hub: '省级远程医疗中心',
  city_hospital: '市级医院',
  county_hospital: '县级医院',
  township_health_centre: '乡镇卫生院',
  village_clinic: '村卫生室',
};
/** Higher number = higher level; a parent is always of a higher level than its child. */
export const LEVEL_RANK: Record<OrganizationLevel, number> = {
  province_hub: 5,
  city_hospital: 4,
  county_hospital: 3,
  township_health_centre: 2,
  village_clinic: 1,
};

export const CONSORTIUM_KINDS = [
  'urban_medical_group',
  'county_medical_community',
  'specialty_alliance',
  'telemedicine_network',
] as const;
export type ConsortiumKind = (typeof CONSORTIUM_KINDS)[number];
export const CONSORTIUM_KIND_ZH: Record<ConsortiumKind, string> = {
  urban_medical_group: '城市医疗集团',
  county_medical_community: '县域医共体',
  specialty_alliance: '跨区域专科联盟',
  telemedicine_network: '远程医疗协作网',
};

export { ROLES, type Role } from '@huizhen/kernel';

export const TITLES = ['resident', 'attending', 'associate_chief', 'chief'] as const;
export type Title = (typeof TITLES)[number];
export const TITLE_ZH: Record<Title, string> = {
  resident: '住院医师',
  attending: '主治医师',
  associate_chief: '副主任医师',
  chief: '主任医师',
};

/** Clinical departments (科室) a consultation can be routed to. */
export const SPECIALTIES = {
  radiology: '放射科',
  ultrasound: '超声科',
  cardiology: '心血管内科',
  respiratory: '呼吸内科',
  gastroenterology: '消化内科',
  neurology: '神经内科',
  endocrinology: '内分泌科',
  general_surgery: '普通外科',
  orthopedics: '骨科',
  pediatrics: '儿科',
  obstetrics_gynecology: '妇产科',
  dermatology: '皮肤科',
  ophthalmology: '眼科',
  otolaryngology: '耳鼻咽喉科',
  oncology: '肿瘤科',
  emergency: '急诊科',
  general_practice: '全科医学科',
  pathology: '病理科',
} as const;
export type Specialty = keyof typeof SPECIALTIES;
export const SPECIALTY_CODES = Object.keys(SPECIALTIES) as Specialty[];

export const SEXES = ['male', 'female', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];
