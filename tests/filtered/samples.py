"""Real-looking files for the rule-family tests: the good ones must pass every rule of their profile."""

PYTHON_MODULE = '''"""Small inventory helpers used by the warehouse service."""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Item:
    sku: str
    quantity: int
    price: float

    def total(self) -> float:
        value = self.quantity * self.price
        if value < 0:
            raise ValueError(f"negative total for {self.sku}")
        return round(value, 2)


def load_items(path: Path) -> list[Item]:
    """Read items from a JSON file with a list of objects."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for entry in raw:
        quantity = int(entry.get("quantity", 0))
        if quantity <= 0:
            continue
        items.append(Item(entry["sku"], quantity, float(entry["price"])))
    return items


def summarize(items: list[Item]) -> dict:
    by_sku: dict[str, float] = {}
    for item in items:
        by_sku[item.sku] = by_sku.get(item.sku, 0.0) + item.total()
    largest = max(by_sku, key=by_sku.get) if by_sku else None
    return {"count": len(items), "value": sum(by_sku.values()), "largest": largest}
'''

C_PROGRAM = '''#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_ints(const void *a, const void *b)
{
    int left = *(const int *)a;
    int right = *(const int *)b;
    return (left > right) - (left < right);
}

int main(int argc, char **argv)
{
    int count = argc - 1;
    int *values = malloc(sizeof(int) * (count > 0 ? count : 1));
    if (values == NULL) {
        fprintf(stderr, "out of memory while reading %d arguments\\n", count);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        values[i] = atoi(argv[i + 1]);
    }
    qsort(values, count, sizeof(int), compare_ints);
    long sum = 0;
    for (int i = 0; i < count; i++) {
        sum += values[i];
        printf("%d ", values[i]);
    }
    printf("\\nsum=%ld median=%d\\n", sum, count ? values[count / 2] : 0);
    free(values);
    return 0;
}
'''

JAVA_CLASS = '''package com.example.billing;

import java.util.ArrayList;
import java.util.List;

public class Invoice {
    private final String customer;
    private final List<Double> amounts = new ArrayList<>();

    public Invoice(String customer) {
        this.customer = customer;
    }

    public void add(double amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive for " + customer);
        }
        amounts.add(amount);
    }

    public double total() {
        double sum = 0;
        for (double amount : amounts) {
            sum += amount;
        }
        double discount = sum > 1000 ? sum * 0.05 : 0;
        return Math.round((sum - discount) * 100.0) / 100.0;
    }
}
'''

GO_FILE = '''package cache

import (
\t"sync"
\t"time"
)

type entry struct {
\tvalue   string
\texpires time.Time
}

type Cache struct {
\tmu      sync.Mutex
\titems   map[string]entry
\tlifetime time.Duration
}

func New(lifetime time.Duration) *Cache {
\treturn &Cache{items: make(map[string]entry), lifetime: lifetime}
}

func (c *Cache) Get(key string) (string, bool) {
\tc.mu.Lock()
\tdefer c.mu.Unlock()
\titem, ok := c.items[key]
\tif !ok || time.Now().After(item.expires) {
\t\tdelete(c.items, key)
\t\treturn "", false
\t}
\treturn item.value, true
}

func (c *Cache) Put(key, value string) {
\tc.mu.Lock()
\tdefer c.mu.Unlock()
\tc.items[key] = entry{value: value, expires: time.Now().Add(c.lifetime)}
}
'''

JS_FILE = '''const express = require("express");
const router = express.Router();

const MAX_PAGE_SIZE = 100;

function parsePage(query) {
  let size = parseInt(query.size || "20", 10);
  if (Number.isNaN(size) || size < 1) {
    size = 20;
  }
  const page = Math.max(1, parseInt(query.page || "1", 10));
  return { page: page, size: Math.min(size, MAX_PAGE_SIZE) };
}

router.get("/orders", async (req, res) => {
  const { page, size } = parsePage(req.query);
  const offset = (page - 1) * size;
  const rows = await req.db.query("SELECT * FROM orders LIMIT ? OFFSET ?", [size, offset]);
  res.json({ page: page, size: size, orders: rows });
});

module.exports = router;
'''

CSHARP_FILE = '''using System;
using System.Collections.Generic;

namespace Shop.Pricing
{
    public class PriceCalculator
    {
        private readonly Dictionary<string, decimal> rates = new Dictionary<string, decimal>();

        public void SetRate(string region, decimal rate)
        {
            if (rate < 0)
            {
                throw new ArgumentException("rate must not be negative", nameof(rate));
            }
            rates[region] = rate;
        }

        public decimal Gross(string region, decimal net)
        {
            decimal rate = rates.TryGetValue(region, out var found) ? found : 0m;
            var gross = net * (1 + rate);
            return Math.Round(gross, 2, MidpointRounding.AwayFromZero);
        }
    }
}
'''

HTML_PAGE = '''<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Getting started with the billing API</title>
</head>
<body>
  <h1>Getting started with the billing API</h1>
  <p>The billing API lets you create invoices, attach line items and send them to your customers.
  Every request is authenticated with an API token that you create in the dashboard.</p>
  <p>Invoices move through three states: draft, sent and paid. A draft can still be edited; once an
  invoice is sent its line items are frozen and only its payment status changes.</p>
  <h2>Creating your first invoice</h2>
  <p>Send a POST request with the customer identifier and a list of line items. The response contains
  the new invoice with its number, its total and a link to the hosted payment page.</p>
</body>
</html>
'''

MARKDOWN_DOC = '''# Release process

This document describes how we cut a release of the library and publish it to the package index.
It is written for maintainers who have push access to the main repository.

## Before the release

Make sure the changelog lists every user-visible change since the previous version. Each entry
should say what changed and why a user would care, and link the pull request that made the change.
Run the full test suite on every supported interpreter, not only on the newest one.

## Tagging

Create an annotated tag named after the version, for example v2.4.0, and push it. The continuous
integration job builds the wheels and the source archive from that tag and uploads them once all
checks have passed. Never upload files that were built on a laptop.

## After the release

Announce the release on the mailing list and close the milestone. If a regression is reported in
the first days, prefer a quick patch release over reverting the whole version.
'''
