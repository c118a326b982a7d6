"""Shapes that know their area and perimeter."""

from math import pi, sqrt


def heron(a, b, c):
    s = (a + b + c) / 2
    return sqrt(s * (s - a) * (s - b) * (s - c))


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return pi * self.radius ** 2

    def perimeter(self):
        return 2 * pi * self.radius


class Square:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side

    def perimeter(self):
        return 4 * self.side


class Rectangle:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height

    def perimeter(self):
        return 2 * (self.width + self.height)


class Triangle:
    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c

    def area(self):
        return heron(self.a, self.b, self.c)

    def perimeter(self):
        return self.a + self.b + self.c


if __name__ == "__main__":
    for shape in [Circle(1), Square(2), Rectangle(2, 3), Triangle(3, 4, 5)]:
        print(type(shape).__name__, round(shape.area(), 2), round(shape.perimeter(), 2))
