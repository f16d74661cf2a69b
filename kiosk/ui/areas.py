"""Names of Chinese administrative divisions, by their six-digit code.

A travel record names an area by its code (``CN-110105``); a guard reads a
place (北京市朝阳区, Chaoyang District, Beijing).  No package on PyPI keeps
this table with a maintainer's release record (the candidates are one-off
uploads, several years old), and the official list (GB/T 2260, published by the
Ministry of Civil Affairs) changes every year, so the kiosk ships the small
table below: the codes its demo, tests and Hangzhou sites meet.  An unknown code
is shown as the code itself, never guessed.
"""

from __future__ import annotations

AREAS: dict[str, tuple[str, str]] = {
    "110000": ("北京市", "Beijing"),
    "110101": ("北京市东城区", "Dongcheng District, Beijing"),
    "110102": ("北京市西城区", "Xicheng District, Beijing"),
    "110105": ("北京市朝阳区", "Chaoyang District, Beijing"),
    "110106": ("北京市丰台区", "Fengtai District, Beijing"),
    "110108": ("北京市海淀区", "Haidian District, Beijing"),
    "310000": ("上海市", "Shanghai"),
    "310101": ("上海市黄浦区", "Huangpu District, Shanghai"),
    "310115": ("上海市浦东新区", "Pudong New Area, Shanghai"),
    "320100": ("江苏省南京市", "Nanjing, Jiangsu"),
    "320500": ("江苏省苏州市", "Suzhou, Jiangsu"),
    "330000": ("浙江省", "Zhejiang"),
    "330100": ("浙江省杭州市", "Hangzhou, Zhejiang"),
    "330102": ("杭州市上城区", "Shangcheng District, Hangzhou"),
    "330105": ("杭州市拱墅区", "Gongshu District, Hangzhou"),
    "330106": ("杭州市西湖区", "Xihu District, Hangzhou"),
    "330108": ("杭州市滨江区", "Binjiang District, Hangzhou"),
    "330109": ("杭州市萧山区", "Xiaoshan District, Hangzhou"),
    "330110": ("杭州市余杭区", "Yuhang District, Hangzhou"),
    "330200": ("浙江省宁波市", "Ningbo, Zhejiang"),
    "330300": ("浙江省温州市", "Wenzhou, Zhejiang"),
    "440100": ("广东省广州市", "Guangzhou, Guangdong"),
    "440300": ("广东省深圳市", "Shenzhen, Guangdong"),
    "420100": ("湖北省武汉市", "Wuhan, Hubei"),
}
"""Six-digit division code -> (Chinese name, English name)."""


def area_name(code: str, language: str) -> str:
    """``CN-110105`` -> ``北京市朝阳区`` (zh_CN) or ``Chaoyang District, Beijing`` (en).

    An unknown code comes back as it was given.
    """
    key = code.strip().removeprefix("CN-").removeprefix("CN")
    names = AREAS.get(key)
    if names is None:
        return code
    return names[0] if language.startswith("zh") else names[1]
