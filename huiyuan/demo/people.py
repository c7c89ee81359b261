"""Plausible Chinese people, generated from a seeded random source.

Pure functions of the random generator: no database access, so the demo loader and the
benchmarks can draw the same kind of people. Names follow the common-surname frequencies,
mobiles use real carrier prefixes, ID numbers carry a correct GB 11643 checksum and agree
with the birthday, the gender and the region's area code.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from huiyuan.core import china

# The most common surnames with their approximate share of the population (per cent).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.10), ("陈", 4.61),
    ("杨", 3.22), ("黄", 2.45), ("赵", 2.29), ("吴", 2.05), ("周", 1.97),
    ("徐", 1.53), ("孙", 1.52), ("马", 1.29), ("朱", 1.26), ("胡", 1.15),
    ("郭", 1.07), ("何", 1.03), ("林", 0.97), ("高", 0.97), ("罗", 0.86),
    ("郑", 0.78), ("梁", 0.77), ("谢", 0.68), ("宋", 0.63), ("唐", 0.62),
    ("许", 0.58), ("韩", 0.56), ("冯", 0.55), ("邓", 0.54), ("曹", 0.53),
    ("彭", 0.53), ("曾", 0.52), ("肖", 0.51), ("田", 0.50), ("董", 0.49),
    ("袁", 0.48), ("潘", 0.47), ("于", 0.46), ("蒋", 0.46), ("蔡", 0.45),
    ("余", 0.44), ("杜", 0.43), ("叶", 0.42), ("程", 0.41), ("苏", 0.40),
    ("魏", 0.39), ("吕", 0.38), ("丁", 0.37), ("任", 0.36), ("沈", 0.35),
    ("姚", 0.34), ("卢", 0.33), ("姜", 0.32), ("崔", 0.31), ("钟", 0.30),
    ("谭", 0.29), ("陆", 0.28), ("汪", 0.27), ("范", 0.26), ("金", 0.25),
    ("石", 0.24), ("廖", 0.23), ("贾", 0.22), ("夏", 0.21), ("韦", 0.20),
    ("方", 0.20), ("白", 0.19), ("邹", 0.19), ("孟", 0.18), ("熊", 0.18),
    ("秦", 0.17), ("邱", 0.17), ("江", 0.16), ("尹", 0.16), ("薛", 0.15),
    ("段", 0.15), ("雷", 0.14), ("侯", 0.14), ("龙", 0.13), ("史", 0.13),
    ("陶", 0.12), ("黎", 0.12), ("贺", 0.11), ("顾", 0.11), ("毛", 0.10),
    ("郝", 0.10), ("龚", 0.09), ("邵", 0.09), ("万", 0.09), ("钱", 0.08),
    ("严", 0.08), ("武", 0.08), ("戴", 0.08), ("孔", 0.07), ("汤", 0.07),
    ("欧阳", 0.03), ("司马", 0.01), ("上官", 0.01), ("诸葛", 0.01),
)  # fmt: skip

MALE_CHARS = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋阳志峰建国文斌亮晨博昊然子轩睿哲皓宸"
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲燕红梅琳莉雪婷慧颖倩琪欣怡佳悦萱涵瑶璐晶薇蓉馨月媛丹洁岚菲雅诗梦"
)
NEUTRAL_CHARS = "文明华金海春晓小嘉一子思天雨安心新永卫东英振晴瑞乐"

# (region, 6-digit administrative area code used in ID numbers, weight)
REGIONS: tuple[tuple[str, str, float], ...] = (
    ("浙江省杭州市上城区", "330102", 14),
    ("浙江省杭州市拱墅区", "330105", 13),
    ("浙江省杭州市西湖区", "330106", 16),
    ("浙江省杭州市滨江区", "330108", 8),
    ("浙江省杭州市萧山区", "330109", 7),
    ("浙江省杭州市余杭区", "330110", 8),
    ("浙江省杭州市临平区", "330110", 3),  # ID numbers issued before 2021: 余杭区
    ("浙江省杭州市钱塘区", "330104", 3),  # ID numbers issued before 2021: 江干区
    ("浙江省宁波市海曙区", "330203", 2),
    ("浙江省宁波市鄞州区", "330212", 2),
    ("浙江省温州市鹿城区", "330302", 2),
    ("浙江省绍兴市越城区", "330602", 2),
    ("浙江省湖州市吴兴区", "330502", 1.5),
    ("浙江省金华市婺城区", "330702", 1.5),
    ("上海市浦东新区", "310115", 2),
    ("上海市徐汇区", "310104", 1),
    ("江苏省苏州市姑苏区", "320508", 1.5),
    ("江苏省南京市鼓楼区", "320106", 1),
    ("安徽省合肥市蜀山区", "340104", 1),
    ("江西省南昌市东湖区", "360102", 0.8),
    ("福建省福州市鼓楼区", "350102", 0.7),
    ("北京市朝阳区", "110105", 0.7),
    ("广东省深圳市南山区", "440305", 0.6),
    ("四川省成都市武侯区", "510107", 0.6),
    ("湖北省武汉市洪山区", "420111", 0.6),
    ("河南省郑州市金水区", "410105", 0.5),
)

HANGZHOU_STREETS = (
    "文三路", "文二路", "教工路", "天目山路", "莫干山路", "延安路", "解放路", "庆春路",
    "凤起路", "体育场路", "建国北路", "中河中路", "秋涛路", "江南大道", "滨盛路",
    "文一西路", "古墩路", "余杭塘路", "湖墅南路", "大关路", "石桥路", "东新路",
)  # fmt: skip
STREETS = ("人民路", "中山路", "解放路", "建设路", "新华路", "长江路", "和平路", "胜利路")

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "193", "195", "196", "197", "198", "199",
)  # fmt: skip

_SURNAME_NAMES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]
_REGION_WEIGHTS = [w for _, _, w in REGIONS]


def pick_surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]


def pick_given_name(rng: random.Random, gender: str) -> str:
    """One or two characters suiting the gender (three in four names have two)."""
    own = MALE_CHARS if gender == "M" else FEMALE_CHARS
    pool = own + NEUTRAL_CHARS
    if rng.random() < 0.25:
        return rng.choice(own)
    first = rng.choice(pool)
    second = rng.choice(own)
    while second == first and rng.random() < 0.8:  # 婷婷, 明明 happen, but rarely
        second = rng.choice(own)
    return first + second


def pick_name(rng: random.Random, gender: str) -> str:
    """A full name of 2 or 3 characters (a compound surname takes a one-character name)."""
    surname = pick_surname(rng)
    if len(surname) > 1:
        own = MALE_CHARS if gender == "M" else FEMALE_CHARS
        return surname + rng.choice(own)
    return surname + pick_given_name(rng, gender)


def pick_gender(rng: random.Random, female_share: float = 0.56) -> str:
    return "F" if rng.random() < female_share else "M"


class MobileSource:
    """Unique mainland mobile numbers with real carrier prefixes."""

    def __init__(self, rng: random.Random, taken: set[str] | None = None) -> None:
        self.rng = rng
        self.taken: set[str] = taken if taken is not None else set()

    def next(self) -> str:
        while True:
            mobile = rng_mobile(self.rng)
            if mobile not in self.taken:
                self.taken.add(mobile)
                return mobile


def rng_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def pick_region(rng: random.Random) -> tuple[str, str]:
    """(region name, ID area code)."""
    region, code, _ = rng.choices(REGIONS, weights=_REGION_WEIGHTS)[0]
    return region, code


def pick_address(rng: random.Random, region: str) -> str:
    streets = HANGZHOU_STREETS if region.startswith("浙江省杭州市") else STREETS
    street = rng.choice(streets)
    return (
        f"{region}{street}{rng.randint(1, 999)}号"
        f"{rng.randint(1, 30)}幢{rng.randint(1, 3)}单元{rng.randint(1, 28)}{rng.randint(1, 8):02d}室"
    )


def pick_birth_date(rng: random.Random, today: dt.date) -> dt.date:
    """A birthday of an adult customer: mostly 25–45, from 18 up to about 70."""
    age = min(70.0, max(18.0, rng.triangular(18, 70, 31)))
    born = today - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
    return born


def id_number(rng: random.Random, area_code: str, birthday: dt.date, gender: str) -> str:
    """An 18-character resident ID number consistent with birthday and gender."""
    sequence = rng.randrange(100)  # the first two digits of the sequence code
    sex_digit = rng.choice("13579" if gender == "M" else "02468")
    first17 = f"{area_code}{birthday:%Y%m%d}{sequence:02d}{sex_digit}"
    return first17 + china.id_check_char(first17)


def plate_number(rng: random.Random) -> str:
    """A Zhejiang licence plate (新能源 plates have six characters after the letter)."""
    letter = rng.choice("AAAAABBCDEFGHJKL")
    if rng.random() < 0.3:
        return f"浙{letter}{rng.choice('DF')}{rng.randrange(10**5):05d}"
    chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return f"浙{letter}" + "".join(rng.choice(chars) for _ in range(5))


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    mobile: str


def person(rng: random.Random, mobiles: MobileSource) -> Person:
    gender = pick_gender(rng)
    return Person(name=pick_name(rng, gender), gender=gender, mobile=mobiles.next())
