/**
 * The demo province: fictional places with the shape of a real one (民族示范省 is not a real
 * province; region codes follow GB/T 2260's pattern in an unused range).
 */
export const DEMO_PROVINCE = {
  hub: { name: '示范省远程医疗会诊中心（省人民医院）', region: '990000' },
  cities: [
    {
      name: '清河市第一人民医院',
      region: '990100',
      counties: [
        {
          name: '青山县人民医院',
          region: '990121',
          towns: ['石桥镇卫生院', '柳林镇卫生院', '白沙乡卫生院'],
        },
        {
          name: '溪口县人民医院',
          region: '990122',
          towns: ['溪口镇中心卫生院', '龙潭乡卫生院', '黄泥岗镇卫生院'],
        },
      ],
    },
    {
      name: '白水市中心医院',
      region: '990200',
      counties: [
        {
          name: '云溪县人民医院',
          region: '990221',
          towns: ['河口镇卫生院', '松坪乡卫生院', '金竹镇卫生院'],
        },
        {
          name: '安平县人民医院',
          region: '990222',
          towns: ['安平镇中心卫生院', '桃源乡卫生院', '马鞍山镇卫生院'],
        },
      ],
    },
  ],
  villagesPerTown: ['东村卫生室', '西村卫生室'],
};

export const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
export const GIVEN = [
  '伟',
  '芳',
  '娜',
  '秀英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '平',
  '刚',
  '桂英',
  '小东',
  '建华',
  '志强',
  '春梅',
  '海燕',
  '德明',
  '玉兰',
  '国庆',
  '红梅',
  '文博',
  '子涵',
  '雨桐',
  '浩然',
];

/** Which specialties sit where: county hospitals carry the common ones, cities and the province the rest. */
export const SPECIALISTS_BY_LEVEL: Record<'province' | 'city' | 'county', string[]> = {
  province: ['radiology', 'cardiology', 'neurology', 'oncology', 'pathology', 'endocrinology'],
  city: [
    'radiology',
    'cardiology',
    'ultrasound',
    'orthopedics',
    'pediatrics',
    'obstetrics_gynecology',
  ],
  county: ['radiology', 'ultrasound', 'general_practice', 'respiratory'],
};
