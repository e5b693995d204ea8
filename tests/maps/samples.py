"""Maps written as a user would write them, using every statement the reader knows."""

KITCHEN = """\
title Community kitchen
// who it is for
anchor Diners [0.95, 0.60]
component Meal [0.82, 0.55] label [10, -5]
component Recipes [0.70, 0.30] (build)
component Ingredients [0.60, 0.70] (buy)
component Oven [0.45, 0.50]
component Cooking method [0.50, 0.45]
pipeline Cooking method
{
  component Wood fire [0.20]
  component Gas hob [0.62]
}
component Energy [0.20, 0.85] (outsource) inertia
Diners->Meal
Meal->Recipes
Meal->Ingredients; fresh daily
Meal->Oven
Oven->Energy
Diners+<>Meal
evolve Oven 0.75
evolve Recipes->Shared recipe book 0.55
annotation 1 [[0.45, 0.50], [0.20, 0.85]] Cheaper energy lets ovens evolve
annotation 2 [0.70, 0.30] Our recipes are our edge
annotations [0.15, 0.05]
note Volunteers cook on Saturdays [0.30, 0.10]
evolution Novel->Emerging->Good->Best
style wardley
market Food banks [0.3, 0.3]
link Recipes -> strategy:kitchen-2027/S1
link Oven -> service:oven-booking
"""

DOMAINS = """\
title: Kitchen domains
contexts:
  - {name: Menu, type: core, team: Cooks, services: [menu-api]}
  - {name: Stock, type: supporting, team: Stores, services: [stock-db]}
  - {name: Payments, type: generic}
relationships:
  - {upstream: Stock, downstream: Menu, pattern: customer-supplier}
  - {upstream: Payments, downstream: Menu, pattern: acl}
  - {between: [Menu, Stock], pattern: shared-kernel}
"""
