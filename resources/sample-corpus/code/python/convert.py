"""Unit conversions. Each pair has a function both ways."""


def celsius_to_fahrenheit(value):
    """celsius -> fahrenheit"""
    return value * 1.8 + 32


def fahrenheit_to_celsius(value):
    """fahrenheit -> celsius"""
    return (value - 32) / 1.8


def kilometres_to_miles(value):
    """kilometres -> miles"""
    return value * 0.621371


def miles_to_kilometres(value):
    """miles -> kilometres"""
    return value / 0.621371


def kilograms_to_pounds(value):
    """kilograms -> pounds"""
    return value * 2.20462


def pounds_to_kilograms(value):
    """pounds -> kilograms"""
    return value / 2.20462


def litres_to_pints(value):
    """litres -> pints"""
    return value * 1.75975


def pints_to_litres(value):
    """pints -> litres"""
    return value / 1.75975


def metres_to_feet(value):
    """metres -> feet"""
    return value * 3.28084


def feet_to_metres(value):
    """feet -> metres"""
    return value / 3.28084


def centimetres_to_inches(value):
    """centimetres -> inches"""
    return value * 0.393701


def inches_to_centimetres(value):
    """inches -> centimetres"""
    return value / 0.393701


def hectares_to_acres(value):
    """hectares -> acres"""
    return value * 2.47105


def acres_to_hectares(value):
    """acres -> hectares"""
    return value / 2.47105


def kilojoules_to_kilocalories(value):
    """kilojoules -> kilocalories"""
    return value * 0.239006


def kilocalories_to_kilojoules(value):
    """kilocalories -> kilojoules"""
    return value / 0.239006


def grams_to_ounces(value):
    """grams -> ounces"""
    return value * 0.035274


def ounces_to_grams(value):
    """ounces -> grams"""
    return value / 0.035274


def kilometres_per_hour_to_knots(value):
    """kilometres per hour -> knots"""
    return value * 0.539957


def knots_to_kilometres_per_hour(value):
    """knots -> kilometres per hour"""
    return value / 0.539957


if __name__ == "__main__":
    print(13, "hectares =", round(hectares_to_acres(13), 2), "acres")
    print(43, "metres =", round(metres_to_feet(43), 2), "feet")
    print(87, "kilojoules =", round(kilojoules_to_kilocalories(87), 2), "kilocalories")
    print(78, "centimetres =", round(centimetres_to_inches(78), 2), "inches")
